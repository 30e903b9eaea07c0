// L-BFGS (Nocedal 1980; Liu & Nocedal 1989) and OWL-QN (Andrew & Gao 2007) on
// the shared outer loop (csrc/solver/outer_loop.hpp).
#include "fusedopt/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../line_search/backtracking.hpp"
#include "../line_search/more_thuente.hpp"
#include "../line_search/projected_backtracking.hpp"
#include "../solver/option_checks.hpp"
#include "../solver/outer_loop.hpp"
#include "history.hpp"

namespace fusedopt {

std::string option::LineSearch::what() const {
  std::string out = "one of None";
  for (const auto& entry : kLineSearchNames) out += std::string(", '") + entry.name + "'";
  return out;
}

void LbfgsOptions::validate() const {
  solver::check_fields(*this);
  arguments(*this, solver::run_check);
  if (l1 > 0.0 && line_search == LineSearchKind::strong_wolfe)
    solver::fail("line_search='strong_wolfe' is not valid with l1 > 0 (OWL-QN backtracks)");
}

namespace {

using lbfgs::History;
using line_search::Trial;

class Lbfgs final : public solver::OuterLoop {
 public:
  Lbfgs(std::int64_t n, const LbfgsOptions& p)
      : OuterLoop(n, p),
        p_(p),
        history_(static_cast<int>(p.history_size), n),
        d_(n),
        pg_(p.l1 > 0.0 ? n : 0),
        orthant_(pg_.size()) {}

 private:
  bool owlqn() const { return p_.l1 > 0.0; }

  // f, or f + l1 |x|_1 for OWL-QN; the smooth gradient into g.
  double evaluate(const double* x, double* g) override {
    const double f = OuterLoop::evaluate(x, g);
    return owlqn() ? f + p_.l1 * v_.abs_sum(x) : f;
  }

  void start() override {
    if (owlqn()) pseudo_gradient();
  }

  const double* stationarity_gradient() const override {
    return owlqn() ? pg_.data() : g_.data();
  }

  // Along -H g; if the search fails, once more along steepest descent.
  StepOutcome step(bool) override {
    if (search(search_direction())) return StepOutcome::taken;
    if (history_.empty()) return StepOutcome::failed;
    history_.clear();
    return search(search_direction()) ? StepOutcome::taken : StepOutcome::failed;
  }

  // The trial point becomes the iterate; (s, y) joins the history if curved.
  void accept() override {
    v_.diff(history_.next_y(), g_trial_.data(), g_.data());
    OuterLoop::accept();
    history_.commit(v_);
    if (owlqn()) pseudo_gradient();
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

  // d = -H (pseudo-)gradient, a descent direction; returns its slope.
  double search_direction() {
    const double* g = stationarity_gradient();
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

  // Along d from x_; on success the trial point is the next iterate and
  // s = x_trial - x waits in the history for its y.
  bool search(double dg) {
    const line_search::Phi phi = [this](double stp) {
      return owlqn() ? projected_trial(stp) : trial(stp);
    };
    line_search::Result ls;
    if (owlqn()) {
      set_orthant();
      ls = line_search::projected_backtracking(phi, f_, initial_step(), {p_.c1}, budget());
    } else if (p_.line_search_kind() == LineSearchKind::strong_wolfe) {
      ls = line_search::more_thuente(phi, f_, dg, initial_step(), {p_.c1, p_.c2}, budget());
    } else {
      ls = line_search::backtracking(phi, f_, dg, initial_step(),
                                     {p_.c1, p_.c2, p_.backtracking_wolfe}, budget());
    }
    if (!ls.ok()) return false;
    f_trial_ = ls.point.f;
    if (!owlqn()) v_.diff(history_.next_s(), x_trial_.data(), x_.data());
    return true;
  }

  // x + stp d, with its slope along d.
  Trial trial(double stp) {
    v_.xpay(x_trial_.data(), x_.data(), stp, d_.data());
    Trial t{stp, evaluate(x_trial_.data(), g_trial_.data()), 0.0};
    t.dg = v_.dot(g_trial_.data(), d_.data());
    if (!line_search::finite(t)) saw_non_finite_ = true;
    return t;
  }

  // The sign each coordinate may take along OWL-QN's path: x's, or -pg's where x_i = 0.
  void set_orthant() {
    for (std::int64_t i = 0; i < n_; ++i) {
      const double x = x_[i];
      orthant_[i] = x != 0.0 ? (x > 0.0 ? 1.0 : -1.0) : (pg_[i] < 0.0 ? 1.0 : -1.0);
    }
  }

  // x + stp d projected onto the orthant; dg is pg's = pg'(x_trial - x) along the
  // step taken, with s written into the history's next slot.
  Trial projected_trial(double stp) {
    v_.xpay(x_trial_.data(), x_.data(), stp, d_.data());
    for (std::int64_t i = 0; i < n_; ++i)
      if (x_trial_[i] * orthant_[i] <= 0.0) x_trial_[i] = 0.0;
    Trial t{stp, evaluate(x_trial_.data(), g_trial_.data()),
            std::numeric_limits<double>::quiet_NaN()};
    if (!std::isfinite(t.f) || !std::isfinite(v_.abs_max(g_trial_.data()))) {
      saw_non_finite_ = true;
      return t;
    }
    double* s = history_.next_s();
    v_.diff(s, x_trial_.data(), x_.data());
    t.dg = v_.dot(pg_.data(), s);
    return t;
  }

  const LbfgsOptions p_;
  History history_;
  std::vector<double> d_;
  std::vector<double> pg_, orthant_;  // OWL-QN only: pseudo-gradient, orthant signs
};

}  // namespace

struct LbfgsSession::Impl {
  explicit Impl(std::int64_t n, const LbfgsOptions& options) : solver(n, options) {}
  Lbfgs solver;
};

LbfgsSession::LbfgsSession(std::int64_t n, const LbfgsOptions& options) {
  options.validate();
  impl_ = std::make_unique<Impl>(n, options);
}

LbfgsSession::~LbfgsSession() = default;

std::int64_t LbfgsSession::size() const noexcept { return impl_->solver.size(); }

SolverResult LbfgsSession::run(const Objective& objective, double* x,
                               const IterationCallback& callback) {
  return impl_->solver.run(objective, x, callback);
}

SolverResult minimize_lbfgs(const Objective& objective, double* x, std::int64_t n,
                            const LbfgsOptions& options, const IterationCallback& callback) {
  LbfgsSession session(n, options);
  return session.run(objective, x, callback);
}

}  // namespace fusedopt
