#pragma once
// Armijo backtracking along a projected path x(stp) = P(x + stp d), as OWL-QN
// (Andrew & Gao 2007) searches: the projection can bend the path, so the
// decrease is measured against the actual step, not stp * dg0.
#include "line_search.hpp"

namespace fusedopt::line_search {

struct ProjectedBacktrackingParams {
  double c1 = 1e-4;  // sufficient decrease: f <= f0 + c1 dg
};

// stp = stp0, stp0 / 2, ... until f <= f0 + c1 * dg, where phi returns in dg
// the model's change along the step actually taken (OWL-QN: pg'(x(stp) - x))
// and a non-finite f or dg for a point to step over. Statuses: converged,
// max_evals.
Result projected_backtracking(const Phi& phi, double f0, double stp0,
                              const ProjectedBacktrackingParams& p, int max_evals);

}  // namespace fusedopt::line_search
