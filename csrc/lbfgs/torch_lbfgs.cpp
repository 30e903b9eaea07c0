// torch.optim.LBFGS's step() (torch/optim/lbfgs.py, torch 2.x) on fusedopt's
// L-BFGS pieces. The control flow follows torch's line by line where it
// decides the trajectory (which steps are taken, which pairs are kept, when a
// step ends), so that a model trained with fusedopt.torch.LBFGS ends where
// torch's would; the vector work runs in the per-ISA kernels.
#include "fusedopt/torch_lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "history.hpp"
#include "vectors.hpp"

namespace fusedopt {
namespace {

// torch's constants: the curvature a pair needs, and its strong Wolfe search's.
constexpr double kMinCurvature = 1e-10;
constexpr double kC1 = 1e-4, kC2 = 0.9, kLineSearchTolerance = 1e-9;

// Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to
// [lo, hi]; their midpoint when the cubic has none.
double cubic_minimum(double x1, double f1, double g1, double x2, double f2, double g2, double lo,
                     double hi) {
  const double d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (!(d2_square >= 0.0)) return (lo + hi) / 2.0;
  const double d2 = std::sqrt(d2_square);
  const double at = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
                             : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2));
  return std::min(std::max(at, lo), hi);
}

double cubic_minimum(double x1, double f1, double g1, double x2, double f2, double g2) {
  return cubic_minimum(x1, f1, g1, x2, f2, g2, std::min(x1, x2), std::max(x1, x2));
}

// A point on the line x + t d: step, value, gradient, slope.
struct Point {
  double t = 0.0, f = 0.0, gtd = 0.0;
  std::vector<double> g;
};

}  // namespace

struct TorchLbfgs::Impl {
  Impl(std::int64_t n, int history_size)
      : n(n), v(n), history(history_size, n), d(n), g(n), prev_g(n), x_trial(n) {}

  std::int64_t n;
  lbfgs::Vectors v;
  lbfgs::History history;
  std::vector<double> d, g, prev_g, x_trial;
  double t = 0.0;
  std::int64_t total_iterations = 0;  // torch's state["n_iter"]
  const Objective* objective = nullptr;

  double evaluate(const double* x, double* grad) { return (*objective)(x, grad); }

  void evaluate_at(const double* x, Point& p) {
    v.xpay(x_trial.data(), x, p.t, d.data());
    p.f = evaluate(x_trial.data(), p.g.data());
    p.gtd = v.dot(p.g.data(), d.data());
  }

  // d = -g on the first iteration ever; else the pair from the last step
  // joins the history (if curved enough) and d = -H g.
  void direction() {
    if (total_iterations == 1) {
      history.clear();
      std::transform(g.begin(), g.end(), d.begin(), [](double x) { return -x; });
      return;
    }
    v.diff(history.next_y(), g.data(), prev_g.data());
    double* s = history.next_s();
    std::copy(d.begin(), d.end(), s);
    v.scale(t, s);
    history.commit_if_above(v, kMinCurvature);
    history.direction(g.data(), d.data(), v);
  }

  // torch's _strong_wolfe from x along d, starting at step t: on return t, f
  // and g are those of the accepted point; returns the evaluations used.
  std::int64_t strong_wolfe(const double* x, double& f, std::int64_t max_ls) {
    const double f0 = f, gtd0 = v.dot(g.data(), d.data());
    const double d_norm = v.abs_max(d.data());
    Point prev{0.0, f0, gtd0, g}, next{t, 0.0, 0.0, std::vector<double>(n)};
    evaluate_at(x, next);
    std::int64_t evals = 1, ls_iter = 0;
    Point bracket[2];
    bool done = false, bracketed = false;
    while (ls_iter < max_ls) {
      const bool too_far = next.f > f0 + kC1 * next.t * gtd0 || (ls_iter > 1 && next.f >= prev.f);
      if (!too_far && std::fabs(next.gtd) <= -kC2 * gtd0) {  // strong Wolfe: accept
        bracket[0] = bracket[1] = next;
        done = bracketed = true;
        break;
      }
      if (too_far || next.gtd >= 0.0) {
        bracket[0] = prev;
        bracket[1] = next;
        bracketed = true;
        break;
      }
      const double t_next = cubic_minimum(prev.t, prev.f, prev.gtd, next.t, next.f, next.gtd,
                                          next.t + 0.01 * (next.t - prev.t), next.t * 10.0);
      std::swap(prev, next);
      next.t = t_next;
      evaluate_at(x, next);
      ++evals;
      ++ls_iter;
    }
    if (!bracketed) {  // out of evaluations: the start and the last trial
      bracket[0] = Point{0.0, f0, 0.0, g};
      bracket[1] = next;
    }
    int low = bracket[0].f <= bracket[1].f ? 0 : 1;
    bool insufficient_progress = false;
    while (!done && ls_iter < max_ls) {
      Point &a = bracket[0], &b = bracket[1];
      if (std::fabs(b.t - a.t) * d_norm < kLineSearchTolerance) break;
      double trial = cubic_minimum(a.t, a.f, a.gtd, b.t, b.f, b.gtd);
      const double hi = std::max(a.t, b.t), lo = std::min(a.t, b.t), eps = 0.1 * (hi - lo);
      if (std::min(hi - trial, trial - lo) < eps) {  // too close to an end of the bracket
        if (insufficient_progress || trial >= hi || trial <= lo) {
          trial = std::fabs(trial - hi) < std::fabs(trial - lo) ? hi - eps : lo + eps;
          insufficient_progress = false;
        } else {
          insufficient_progress = true;
        }
      } else {
        insufficient_progress = false;
      }
      next.t = trial;
      evaluate_at(x, next);
      ++evals;
      ++ls_iter;
      const int high = 1 - low;
      if (next.f > f0 + kC1 * next.t * gtd0 || next.f >= bracket[low].f) {
        bracket[high] = next;
        low = bracket[0].f <= bracket[1].f ? 0 : 1;
        continue;
      }
      if (std::fabs(next.gtd) <= -kC2 * gtd0)
        done = true;
      else if (next.gtd * (bracket[high].t - bracket[low].t) >= 0.0)
        bracket[high] = bracket[low];
      bracket[low] = next;
    }
    t = bracket[low].t;
    f = bracket[low].f;
    g = bracket[low].g;
    return evals;
  }

  TorchLbfgsStep step(double* x, const TorchLbfgsOptions& o) {
    TorchLbfgsStep out;
    double loss = evaluate(x, g.data());
    out.first_loss = loss;
    std::int64_t evals = 1;
    if (v.abs_max(g.data()) <= o.tolerance_grad) {
      out.func_evals = evals;
      return out;
    }
    std::int64_t n_iter = 0;
    while (n_iter < o.max_iter) {
      ++n_iter;
      ++total_iterations;
      direction();
      prev_g = g;
      const double prev_loss = loss;
      t = total_iterations == 1 ? std::min(1.0, 1.0 / v.abs_sum(g.data())) * o.lr : o.lr;
      if (v.dot(g.data(), d.data()) > -o.tolerance_change) break;
      bool optimal = false;
      if (o.strong_wolfe) {
        evals += strong_wolfe(x, loss, o.max_eval - evals);
        v.axpy(t, d.data(), x);
        optimal = v.abs_max(g.data()) <= o.tolerance_grad;
      } else {
        v.axpy(t, d.data(), x);
        if (n_iter != o.max_iter) {  // torch leaves the last step unevaluated
          loss = evaluate(x, g.data());
          ++evals;
          optimal = v.abs_max(g.data()) <= o.tolerance_grad;
        }
      }
      if (n_iter == o.max_iter || evals >= o.max_eval || optimal) break;
      if (v.abs_max(d.data()) * std::fabs(t) <= o.tolerance_change) break;
      if (std::fabs(loss - prev_loss) < o.tolerance_change) break;
    }
    out.n_iter = n_iter;
    out.func_evals = evals;
    return out;
  }
};

TorchLbfgs::TorchLbfgs(std::int64_t n, int history_size)
    : impl_(std::make_unique<Impl>(n, history_size)) {}

TorchLbfgs::~TorchLbfgs() = default;

std::int64_t TorchLbfgs::size() const noexcept { return impl_->n; }

TorchLbfgsStep TorchLbfgs::step(const Objective& objective, double* x,
                                const TorchLbfgsOptions& options) {
  impl_->objective = &objective;
  return impl_->step(x, options);
}

}  // namespace fusedopt
