// SolverOptions, the status messages, and the option checks every solver's
// validate() uses.
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "fusedopt/solver.hpp"
#include "option_checks.hpp"

namespace fusedopt {
namespace solver {

std::string shown(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  std::string out(buffer, end);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

void fail(const std::string& message) { throw std::invalid_argument(message); }

void check_int(const char* name, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value < lo || value > hi)
    fail(std::string(name) + " must be an int in [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "], got " + std::to_string(value));
}

void check_nonneg(const char* name, double value) {
  if (!(value >= 0.0) || !std::isfinite(value))
    fail(std::string(name) + " must be a finite number >= 0, got " + shown(value));
}

void check_positive(const char* name, double value) {
  if (!(value > 0.0) || !std::isfinite(value))
    fail(std::string(name) + " must be a finite number > 0, got " + shown(value));
}

void check_open_interval(const char* name, double value, double lo, double hi,
                         const char* interval) {
  if (!(value > lo && value < hi))
    fail(std::string(name) + " must be in " + interval + ", got " + shown(value));
}

}  // namespace solver

void SolverOptions::validate() const {
  constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();  // line searches count in int
  solver::check_int("max_iter", max_iter, 0);
  solver::check_int("max_fev", max_fev, 1);
  solver::check_nonneg("gtol", gtol);
  solver::check_nonneg("ftol", ftol);
  solver::check_int("max_ls", max_ls, 1, kIntMax);
  solver::check_open_interval("c1", c1, 0.0, 1.0, "(0, 1)");
  solver::check_open_interval("c2", c2, c1, 1.0, "(c1, 1)");
}

const char* status_message(SolverStatus status) noexcept {
  switch (status) {
    case SolverStatus::converged_gtol:
      return "converged: the gradient's infinity norm is <= gtol";
    case SolverStatus::converged_ftol:
      return "converged: the relative reduction of f is <= ftol";
    case SolverStatus::max_iter:
      return "stopped: max_iter iterations reached";
    case SolverStatus::max_fev:
      return "stopped: max_fev function evaluations reached";
    case SolverStatus::line_search_failed:
      return "stopped: the line search found no acceptable step";
    case SolverStatus::callback_stop:
      return "stopped: the callback raised StopIteration";
    case SolverStatus::non_finite:
      return "stopped: the objective or its gradient is not finite";
  }
  return "unknown status";
}

}  // namespace fusedopt
