#pragma once
// What the solvers of fo.minimize share (L-BFGS / OWL-QN, exact Newton,
// Newton-CG): the options of their outer loop, why a run stopped, and what it
// returns. Each options struct declares every option once, in fields(): its
// name, its field (holding the default) and its check. validate() runs the
// checks; the bindings read options by those names (their type errors say
// the check's what()) and export the defaults.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace fusedopt {

// The checks of option values: check(name, value) throws std::invalid_argument
// with "<name> must be <what()>, got <value>".
namespace option {

struct IntIn {
  std::int64_t lo;
  std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  std::string what() const;  // "an int in [lo, hi]"
  void check(const char* name, std::int64_t value) const;
};
// An int in [lo, hi], or None (std::nullopt: the default, the solver's own choice).
struct OptionalIntIn {
  IntIn range;
  std::string what() const { return range.what(); }
  void check(const char* name, const std::optional<std::int64_t>& value) const {
    if (value) range.check(name, *value);
  }
};
struct NonNegative {
  std::string what() const { return "a finite number >= 0"; }
  void check(const char* name, double value) const;
};
struct Positive {
  std::string what() const { return "a finite number > 0"; }
  void check(const char* name, double value) const;
};
struct Between {  // lo < value < hi
  double lo, hi;
  const char* interval;  // as the message writes it, e.g. "(c1, 1)"
  std::string what() const { return std::string("in ") + interval; }
  void check(const char* name, double value) const;
};
struct Flag {
  std::string what() const { return "a bool"; }
  void check(const char*, bool) const {}
};

}  // namespace option

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

  // visit(name, field, check) for every option, in the order the documentation lists them.
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();  // searches count in int
    visit("max_iter", self.max_iter, option::IntIn{0});
    visit("max_fev", self.max_fev, option::IntIn{1});
    visit("gtol", self.gtol, option::NonNegative{});
    visit("ftol", self.ftol, option::NonNegative{});
    visit("max_ls", self.max_ls, option::IntIn{1, kIntMax});
    visit("c1", self.c1, option::Between{0.0, 1.0, "(0, 1)"});
    visit("c2", self.c2, option::Between{self.c1, 1.0, "(c1, 1)"});
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
