// The option checks (fusedopt/solver.hpp), SolverOptions::validate, the status messages.
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

void fail(const char* name, const std::string& what, const std::string& value) {
  fail(std::string(name) + " must be " + what + ", got " + value);
}

}  // namespace solver

namespace option {

std::string IntIn::what() const {
  return "an int in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
}

void IntIn::check(const char* name, std::int64_t value) const {
  if (value < lo || value > hi) solver::fail(name, what(), std::to_string(value));
}

void NonNegative::check(const char* name, double value) const {
  if (!(value >= 0.0 && std::isfinite(value))) solver::fail(name, what(), solver::shown(value));
}

void Positive::check(const char* name, double value) const {
  if (!(value > 0.0 && std::isfinite(value))) solver::fail(name, what(), solver::shown(value));
}

void Between::check(const char* name, double value) const {
  if (!(value > lo && value < hi)) solver::fail(name, what(), solver::shown(value));
}

}  // namespace option

void SolverOptions::validate() const { solver::check_fields(*this); }

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
