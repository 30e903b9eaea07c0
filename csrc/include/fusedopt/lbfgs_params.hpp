#pragma once
// Options of the L-BFGS / OWL-QN solver, with scipy's defaults where scipy has
// the option.
#include <cstdint>

namespace fusedopt {

enum class LineSearchKind { strong_wolfe, backtracking };

struct LbfgsParams {
  int history_size = 10;         // m, the number of (s, y) pairs kept
  std::int64_t max_iter = 15000;
  std::int64_t max_fev = 15000;
  double gtol = 1e-5;            // on the infinity norm of the (pseudo-)gradient
  double ftol = 2.2e-9;          // on (f_k - f_k+1) / max(|f_k|, |f_k+1|), 10 times in a row
  LineSearchKind line_search = LineSearchKind::strong_wolfe;
  int max_ls = 20;               // evaluations per line search
  double c1 = 1e-4;              // sufficient decrease (Armijo)
  double c2 = 0.9;               // curvature (Wolfe)
  bool backtracking_wolfe = false;  // backtracking: also require the weak Wolfe condition
  double l1 = 0.0;               // > 0: minimize f + l1 * |x|_1 with OWL-QN
  double step_scale = 1.0;       // multiplies every line search's first trial step (torch's lr)

  // Throws std::invalid_argument with a message that names the parameter.
  void validate() const;
};

}  // namespace fusedopt
