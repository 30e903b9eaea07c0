#pragma once
// What every line search shares: the function along the search path, its
// trial points, and how a search ended. One search per header beside this one:
//   more_thuente.hpp            strong Wolfe (L-BFGS, Newton's straight steps)
//   backtracking.hpp            Armijo halving, optionally weak Wolfe (L-BFGS)
//   projected_backtracking.hpp  Armijo halving along a projected path (OWL-QN)
//   curvilinear.hpp             Moré & Sorensen's curved path (exact Newton)
//   torch_strong_wolfe.hpp      torch.optim.LBFGS's cubic-interpolation search
#include <cmath>
#include <functional>

namespace fusedopt::line_search {

// A point of the path: step, value, slope phi'(stp).
struct Trial {
  double stp, f, dg;
};

// Evaluates the path at stp (the caller keeps the point and its gradient as the
// latest trial point) and returns f and phi'. Values may be non-finite.
using Phi = std::function<Trial(double stp)>;

inline bool finite(const Trial& t) { return std::isfinite(t.f) && std::isfinite(t.dg); }

enum class Status {
  converged,            // the search's conditions hold at the point
  sufficient_decrease,  // stopped early (rounding, a collapsed interval, out of
                        // evaluations) at a point that decreases f enough
  max_evals,            // out of evaluations, no acceptable point
  failed,               // no acceptable point and no step left to try
};

struct Result {
  Status status = Status::max_evals;
  Trial point{};  // the accepted point when ok()
  int evals = 0;

  bool ok() const { return status == Status::converged || status == Status::sufficient_decrease; }
};

}  // namespace fusedopt::line_search
