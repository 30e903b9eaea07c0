#include "outer_loop.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace fusedopt::solver {

OuterLoop::OuterLoop(std::int64_t n, const SolverOptions& options)
    : options_(options),
      n_(n),
      v_(n),
      x_(n),
      g_(n),
      x_trial_(n),
      g_trial_(n),
      ftol_(options.ftol) {}

SolverResult OuterLoop::run(const Objective& objective, double* x,
                            const IterationCallback& callback) {
  objective_ = &objective;
  callback_ = &callback;
  nit_ = nfev_ = nhev_ = 0;
  ftol_.reset();
  std::copy(x, x + n_, x_.begin());
  SolverResult result;
  result.status = solve();
  std::copy(x_.begin(), x_.end(), x);
  result.f = f_;
  result.g = g_;
  result.nit = nit_;
  result.nfev = nfev_;
  result.nhev = nhev_;
  result.message = status_message(result.status);
  return result;
}

double OuterLoop::evaluate(const double* x, double* g) {
  ++nfev_;
  return (*objective_)(x, g);
}

void OuterLoop::accept() {
  std::swap(x_, x_trial_);
  std::swap(g_, g_trial_);
  f_ = f_trial_;
}

int OuterLoop::budget() const {
  return static_cast<int>(std::min<std::int64_t>(options_.max_ls, options_.max_fev - nfev_));
}

bool OuterLoop::small_gradient() const {
  return v_.abs_max(stationarity_gradient()) <= options_.gtol;
}

// Each test in the order that decides between two that hold at once: a small
// gradient before the limits (a second-order solver may go on at a saddle),
// the callback before convergence, and ftol counted only away from a small
// gradient. A failed step at a small gradient is convergence too.
SolverStatus OuterLoop::solve() {
  f_ = evaluate(x_.data(), g_.data());
  if (!std::isfinite(f_) || !std::isfinite(v_.abs_max(g_.data())))
    return SolverStatus::non_finite;
  start();
  bool small = small_gradient();
  for (;;) {
    if (small && !second_order()) return SolverStatus::converged_gtol;
    if (nit_ >= options_.max_iter)
      return small ? SolverStatus::converged_gtol : SolverStatus::max_iter;
    if (nfev_ >= options_.max_fev)
      return small ? SolverStatus::converged_gtol : SolverStatus::max_fev;
    saw_non_finite_ = false;
    const StepOutcome outcome = step(small);
    if (outcome == StepOutcome::stationary) return SolverStatus::converged_gtol;
    if (outcome == StepOutcome::failed) {
      if (small) return SolverStatus::converged_gtol;
      if (nfev_ >= options_.max_fev) return SolverStatus::max_fev;
      return saw_non_finite_ ? SolverStatus::non_finite : SolverStatus::line_search_failed;
    }
    const double f_old = f_;
    accept();
    ++nit_;
    if (*callback_ && (*callback_)(x_.data(), f_)) return SolverStatus::callback_stop;
    small = small_gradient();
    if (!small && ftol_.stalled(f_old, f_)) return SolverStatus::converged_ftol;
  }
}

}  // namespace fusedopt::solver
