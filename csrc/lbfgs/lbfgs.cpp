// L-BFGS (Nocedal 1980; Liu & Nocedal 1989) and OWL-QN (Andrew & Gao 2007).
#include "fusedopt/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "history.hpp"
#include "line_search.hpp"
#include "stopping.hpp"
#include "vectors.hpp"

namespace fusedopt {

void LbfgsParams::validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (history_size < 1) fail("history_size must be >= 1, got " + std::to_string(history_size));
  if (max_iter < 0) fail("max_iter must be >= 0, got " + std::to_string(max_iter));
  if (max_fev < 1) fail("max_fev must be >= 1, got " + std::to_string(max_fev));
  if (!(gtol >= 0.0)) fail("gtol must be >= 0, got " + std::to_string(gtol));
  if (!(ftol >= 0.0)) fail("ftol must be >= 0, got " + std::to_string(ftol));
  if (max_ls < 1) fail("max_ls must be >= 1, got " + std::to_string(max_ls));
  if (!(c1 > 0.0 && c1 < 1.0)) fail("c1 must be in (0, 1), got " + std::to_string(c1));
  if (!(c2 > c1 && c2 < 1.0)) fail("c2 must be in (c1, 1), got " + std::to_string(c2));
  if (!(l1 >= 0.0) || !std::isfinite(l1)) fail("l1 must be a finite number >= 0");
  if (!(step_scale > 0.0) || !std::isfinite(step_scale))
    fail("step_scale (lr) must be a finite number > 0");
  if (l1 > 0.0 && line_search == LineSearchKind::strong_wolfe)
    fail("line_search='strong_wolfe' is not valid with l1 > 0 (OWL-QN backtracks)");
}

const char* status_message(LbfgsStatus status) noexcept {
  switch (status) {
    case LbfgsStatus::converged_gtol:
      return "converged: the gradient's infinity norm is <= gtol";
    case LbfgsStatus::converged_ftol:
      return "converged: the relative reduction of f is <= ftol";
    case LbfgsStatus::max_iter:
      return "stopped: max_iter iterations reached";
    case LbfgsStatus::max_fev:
      return "stopped: max_fev function evaluations reached";
    case LbfgsStatus::line_search_failed:
      return "stopped: the line search found no acceptable step";
    case LbfgsStatus::callback_stop:
      return "stopped: the callback raised StopIteration";
    case LbfgsStatus::non_finite:
      return "stopped: the objective or its gradient is not finite";
  }
  return "unknown status";
}

namespace {

using lbfgs::History;
using lbfgs::Trial;
using lbfgs::Vectors;

class Solver {
 public:
  Solver(std::int64_t n, const LbfgsParams& p)
      : p_(p),
        n_(n),
        v_(n),
        history_(p.history_size, n),
        x_(n),
        g_(n),
        x_trial_(n),
        g_trial_(n),
        d_(n),
        pg_(p.l1 > 0.0 ? n : 0),
        orthant_(pg_.size()),
        ftol_(p.ftol) {}

  std::int64_t size() const { return n_; }

  // One run from x_user (which receives the result); the history of earlier
  // runs is kept, everything else starts afresh.
  LbfgsResult run(const Objective& objective, double* x_user, const IterationCallback& callback) {
    objective_ = &objective;
    callback_ = &callback;
    nit_ = nfev_ = 0;
    ftol_.reset();
    std::copy(x_user, x_user + n_, x_.begin());
    LbfgsResult result;
    result.status = solve();
    std::copy(x_.begin(), x_.end(), x_user);
    result.f = f_;
    result.g = g_;
    result.nit = nit_;
    result.nfev = nfev_;
    result.message = status_message(result.status);
    return result;
  }

 private:
  bool owlqn() const { return p_.l1 > 0.0; }

  // f, or f + l1 |x|_1 for OWL-QN; the smooth gradient into g.
  double evaluate(const double* x, double* g) {
    ++nfev_;
    const double f = (*objective_)(x, g);
    return owlqn() ? f + p_.l1 * v_.abs_sum(x) : f;
  }

  // The steepest-descent direction's negative for f + l1 |x|_1 (Andrew & Gao, eq. 4).
  void pseudo_gradient() {
    const double l1 = p_.l1;
    for (std::int64_t i = 0; i < n_; ++i) {
      const double g = g_[i], x = x_[i];
      if (x < 0.0)
        pg_[i] = g - l1;
      else if (x > 0.0)
        pg_[i] = g + l1;
      else if (g + l1 < 0.0)
        pg_[i] = g + l1;
      else if (g - l1 > 0.0)
        pg_[i] = g - l1;
      else
        pg_[i] = 0.0;
    }
  }

  const double* search_gradient() const { return owlqn() ? pg_.data() : g_.data(); }

  LbfgsStatus solve() {
    f_ = evaluate(x_.data(), g_.data());
    if (!std::isfinite(f_) || !std::isfinite(v_.abs_max(g_.data())))
      return LbfgsStatus::non_finite;
    if (owlqn()) pseudo_gradient();
    if (v_.abs_max(search_gradient()) <= p_.gtol) return LbfgsStatus::converged_gtol;
    for (;;) {
      if (nit_ >= p_.max_iter) return LbfgsStatus::max_iter;
      if (nfev_ >= p_.max_fev) return LbfgsStatus::max_fev;
      const double dg = search_direction();
      const double f_old = f_;
      const StepOutcome step = owlqn() ? owlqn_step() : line_search(dg);
      if (step == StepOutcome::failed) {
        if (!history_.empty()) {  // retry once along steepest descent
          history_.clear();
          continue;
        }
        if (nfev_ >= p_.max_fev) return LbfgsStatus::max_fev;
        return saw_non_finite_ ? LbfgsStatus::non_finite : LbfgsStatus::line_search_failed;
      }
      accept();
      ++nit_;
      if (*callback_ && (*callback_)(x_.data(), f_)) return LbfgsStatus::callback_stop;
      if (v_.abs_max(search_gradient()) <= p_.gtol) return LbfgsStatus::converged_gtol;
      if (ftol_.stalled(f_old, f_)) return LbfgsStatus::converged_ftol;
    }
  }

  // d = -H (pseudo-)gradient, a descent direction; returns its slope.
  double search_direction() {
    const double* g = search_gradient();
    history_.direction(g, d_.data(), v_);
    if (owlqn()) {  // keep only components that agree with -pg (Andrew & Gao, eq. 6)
      for (std::int64_t i = 0; i < n_; ++i)
        if (d_[i] * pg_[i] >= 0.0) d_[i] = 0.0;
    }
    double dg = v_.dot(g, d_.data());
    if (!(dg < 0.0)) {  // not a descent direction: forget the curvature pairs
      history_.clear();
      std::transform(g, g + n_, d_.begin(), [](double v) { return -v; });
      dg = v_.dot(g, d_.data());
    }
    return dg;
  }

  // First step: unit length along d (as L-BFGS-B); then the quasi-Newton step 1.
  double initial_step() const {
    if (!history_.empty()) return p_.step_scale;
    const double norm = std::sqrt(v_.dot(d_.data(), d_.data()));
    return p_.step_scale * (norm > 0.0 ? 1.0 / norm : 1.0);
  }

  enum class StepOutcome { accepted, failed };

  StepOutcome line_search(double dg) {
    const lbfgs::Phi phi = [this](double stp) {
      v_.xpay(x_trial_.data(), x_.data(), stp, d_.data());
      Trial t{stp, evaluate(x_trial_.data(), g_trial_.data()), 0.0};
      t.dg = v_.dot(g_trial_.data(), d_.data());
      if (!std::isfinite(t.f) || !std::isfinite(t.dg)) saw_non_finite_ = true;
      return t;
    };
    const int budget = static_cast<int>(std::min<std::int64_t>(p_.max_ls, p_.max_fev - nfev_));
    saw_non_finite_ = false;
    const lbfgs::LineSearchResult ls =
        p_.line_search == LineSearchKind::strong_wolfe
            ? lbfgs::more_thuente(phi, f_, dg, initial_step(), p_, budget)
            : lbfgs::backtracking(phi, f_, dg, initial_step(), p_, budget);
    if (!ls.ok) return StepOutcome::failed;
    f_trial_ = ls.point.f;
    v_.diff(history_.next_s(), x_trial_.data(), x_.data());
    return StepOutcome::accepted;
  }

  // Backtracking along d with every trial point projected onto the orthant of
  // x (or of -pg where x_i = 0); sufficient decrease measured with pg.
  StepOutcome owlqn_step() {
    for (std::int64_t i = 0; i < n_; ++i) {
      const double x = x_[i];
      orthant_[i] = x != 0.0 ? (x > 0.0 ? 1.0 : -1.0) : (pg_[i] < 0.0 ? 1.0 : -1.0);
    }
    const int budget = static_cast<int>(std::min<std::int64_t>(p_.max_ls, p_.max_fev - nfev_));
    saw_non_finite_ = false;
    double stp = initial_step();
    double* s = history_.next_s();
    for (int k = 0; k < budget; ++k, stp *= 0.5) {
      v_.xpay(x_trial_.data(), x_.data(), stp, d_.data());
      for (std::int64_t i = 0; i < n_; ++i)
        if (x_trial_[i] * orthant_[i] <= 0.0) x_trial_[i] = 0.0;
      const double f = evaluate(x_trial_.data(), g_trial_.data());
      if (!std::isfinite(f) || !std::isfinite(v_.abs_max(g_trial_.data()))) {
        saw_non_finite_ = true;
        continue;
      }
      v_.diff(s, x_trial_.data(), x_.data());
      if (f <= f_ + p_.c1 * v_.dot(pg_.data(), s)) {
        f_trial_ = f;
        return StepOutcome::accepted;
      }
    }
    return StepOutcome::failed;
  }

  // The trial point becomes the iterate; (s, y) joins the history if curved.
  void accept() {
    v_.diff(history_.next_y(), g_trial_.data(), g_.data());
    std::swap(x_, x_trial_);
    std::swap(g_, g_trial_);
    f_ = f_trial_;
    history_.commit(v_);
    if (owlqn()) pseudo_gradient();
  }

  const Objective* objective_ = nullptr;
  const LbfgsParams p_;
  const IterationCallback* callback_ = nullptr;
  std::int64_t n_;
  Vectors v_;
  History history_;
  std::vector<double> x_, g_, x_trial_, g_trial_, d_;
  std::vector<double> pg_, orthant_;  // OWL-QN only: pseudo-gradient, orthant signs
  double f_ = 0.0, f_trial_ = 0.0;
  std::int64_t nit_ = 0, nfev_ = 0;
  bool saw_non_finite_ = false;
  lbfgs::FtolWindow ftol_;
};

}  // namespace

struct LbfgsSession::Impl {
  Solver solver;
};

LbfgsSession::LbfgsSession(std::int64_t n, const LbfgsParams& params) {
  params.validate();
  impl_ = std::make_unique<Impl>(Impl{Solver(n, params)});
}

LbfgsSession::~LbfgsSession() = default;

std::int64_t LbfgsSession::size() const noexcept { return impl_->solver.size(); }

LbfgsResult LbfgsSession::run(const Objective& objective, double* x,
                              const IterationCallback& callback) {
  return impl_->solver.run(objective, x, callback);
}

LbfgsResult minimize_lbfgs(const Objective& objective, double* x, std::int64_t n,
                           const LbfgsParams& params, const IterationCallback& callback) {
  LbfgsSession session(n, params);
  return session.run(objective, x, callback);
}

}  // namespace fusedopt
