#pragma once
// Moré & Thuente, "Line search algorithms with guaranteed sufficient decrease",
// ACM TOMS 20(3), 1994 (the dcsrch/dcstep structure of MINPACK-2).
#include "line_search.hpp"

namespace fusedopt::line_search {

struct MoreThuenteParams {
  double c1 = 1e-4;  // sufficient decrease: f <= f0 + c1 stp dg0
  double c2 = 0.9;   // curvature: |dg| <= c2 |dg0|
};

// A point satisfying the strong Wolfe conditions, from the first trial stp0.
// A non-finite trial point halves the step towards the best point and caps the
// search below it. Statuses: converged, sufficient_decrease (the interval
// collapsed or the evaluations ran out at a point of sufficient decrease),
// max_evals, failed.
Result more_thuente(const Phi& phi, double f0, double dg0, double stp0,
                    const MoreThuenteParams& p, int max_evals);

}  // namespace fusedopt::line_search
