#pragma once
// torch.optim.LBFGS's line search (torch/optim/lbfgs.py, _strong_wolfe, torch
// 2.x): bracketing by cubic interpolation, then a zoom with torch's
// insufficient-progress rule, step for step as torch takes them.
#include <cstdint>
#include <functional>
#include <vector>

#include "line_search.hpp"

namespace fusedopt::line_search {

struct TorchStrongWolfeParams {  // torch's constants
  double c1 = 1e-4;
  double c2 = 0.9;
  double tolerance_change = 1e-9;  // the zoom stops below this bracket width times max|d|
};

// A point of the line x + stp d with its gradient: the search can return an
// earlier point than the latest.
struct GradientTrial {
  double stp = 0.0, f = 0.0, dg = 0.0;
  std::vector<double> g;
};

// Fills f, g and dg of the point at p.stp.
using GradientPhi = std::function<void(GradientTrial& p)>;

struct TorchStrongWolfeResult {
  Status status = Status::max_evals;  // converged, max_evals or failed (the bracket
                                      // shrank below tolerance_change)
  GradientTrial point;  // where torch ends: the bracket's lower end
  std::int64_t evals = 0;
};

// From `start` (stp 0, the current point) with the first trial step stp0 and
// at most max_ls evaluations after the first; d_norm = max|d|.
TorchStrongWolfeResult torch_strong_wolfe(const GradientPhi& phi, const GradientTrial& start,
                                          double stp0, double d_norm,
                                          const TorchStrongWolfeParams& p, std::int64_t max_ls);

}  // namespace fusedopt::line_search
