#pragma once
// What the solvers of fo.minimize share (L-BFGS / OWL-QN, exact Newton,
// Newton-CG): the options of their outer loop, why a run stopped, and what it
// returns. Each options struct lists its fields once, in fields(): the
// bindings read options by those names and export the defaults from them.
#include <cstdint>
#include <string>
#include <vector>

namespace fusedopt {

// Why a solver stopped. success <=> gtol or ftol.
enum class SolverStatus : int {
  converged_gtol = 0,
  converged_ftol = 1,
  max_iter = 2,
  max_fev = 3,
  line_search_failed = 4,
  callback_stop = 5,
  non_finite = 6,
};

inline constexpr SolverStatus kSolverStatuses[] = {
    SolverStatus::converged_gtol,     SolverStatus::converged_ftol, SolverStatus::max_iter,
    SolverStatus::max_fev,            SolverStatus::line_search_failed,
    SolverStatus::callback_stop,      SolverStatus::non_finite,
};

const char* status_message(SolverStatus status) noexcept;
inline bool converged(SolverStatus status) noexcept {
  return status == SolverStatus::converged_gtol || status == SolverStatus::converged_ftol;
}

// The outer loop's options, with scipy's defaults where scipy has the option.
struct SolverOptions {
  std::int64_t max_iter = 15000;
  std::int64_t max_fev = 15000;
  double gtol = 1e-5;    // on the infinity norm of the (pseudo-)gradient
  double ftol = 2.2e-9;  // on (f_k - f_k+1) / max(|f_k|, |f_k+1|), 10 times in a row
  std::int64_t max_ls = 20;  // evaluations per line search
  double c1 = 1e-4;          // sufficient decrease (Armijo)
  double c2 = 0.9;           // curvature (Wolfe)

  // visit(name, field) for every option, in the order the documentation lists them.
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("max_iter", self.max_iter);
    visit("max_fev", self.max_fev);
    visit("gtol", self.gtol);
    visit("ftol", self.ftol);
    visit("max_ls", self.max_ls);
    visit("c1", self.c1);
    visit("c2", self.c2);
  }

  // Throws std::invalid_argument with a message that names the option.
  void validate() const;
};

struct SolverResult {
  double f = 0.0;         // objective at x (f + l1 * |x|_1 for OWL-QN)
  std::vector<double> g;  // gradient of the smooth part at x
  std::int64_t nit = 0, nfev = 0;
  std::int64_t nhev = 0;  // Newton: Hessian evaluations or Hessian-vector products
  SolverStatus status = SolverStatus::max_iter;
  std::string message;
};

}  // namespace fusedopt
