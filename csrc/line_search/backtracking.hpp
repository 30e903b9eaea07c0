#pragma once
// Armijo backtracking by halving, optionally with the weak Wolfe condition.
#include "line_search.hpp"

namespace fusedopt::line_search {

struct BacktrackingParams {
  double c1 = 1e-4;    // sufficient decrease: f <= f0 + c1 stp dg0
  double c2 = 0.9;     // weak Wolfe: dg >= c2 dg0 (only with wolfe)
  bool wolfe = false;  // also require weak Wolfe; the step doubles while it fails
};

// From stp0, halving on insufficient decrease (or a non-finite point), and with
// p.wolfe bisecting between the steps too short and too long. Statuses:
// converged, max_evals.
Result backtracking(const Phi& phi, double f0, double dg0, double stp0,
                    const BacktrackingParams& p, int max_evals);

}  // namespace fusedopt::line_search
