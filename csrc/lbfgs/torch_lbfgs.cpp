// torch.optim.LBFGS's step() (torch/optim/lbfgs.py, torch 2.x) on fusedopt's
// L-BFGS pieces. The control flow follows torch's line by line where it
// decides the trajectory (which steps are taken, which pairs are kept, when a
// step ends), so that a model trained with fusedopt.torch.LBFGS ends where
// torch's would; the vector work runs in the per-ISA kernels.
#include "fusedopt/torch_lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "../line_search/torch_strong_wolfe.hpp"
#include "../solver/vectors.hpp"
#include "history.hpp"

namespace fusedopt {
namespace {

constexpr double kMinCurvature = 1e-10;  // torch's: y's a pair needs to be kept

}  // namespace

struct TorchLbfgs::Impl {
  Impl(std::int64_t n, int history_size)
      : n(n), v(n), history(history_size, n), d(n), g(n), prev_g(n), x_trial(n) {}

  std::int64_t n;
  solver::Vectors v;
  lbfgs::History history;
  std::vector<double> d, g, prev_g, x_trial;
  double t = 0.0;
  std::int64_t total_iterations = 0;  // torch's state["n_iter"]
  const Objective* objective = nullptr;

  double evaluate(const double* x, double* grad) { return (*objective)(x, grad); }

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
    const line_search::GradientPhi phi = [this, x](line_search::GradientTrial& p) {
      v.xpay(x_trial.data(), x, p.stp, d.data());
      p.f = evaluate(x_trial.data(), p.g.data());
      p.dg = v.dot(p.g.data(), d.data());
    };
    const line_search::GradientTrial start{0.0, f, v.dot(g.data(), d.data()), g};
    line_search::TorchStrongWolfeResult ls =
        line_search::torch_strong_wolfe(phi, start, t, v.abs_max(d.data()), {}, max_ls);
    t = ls.point.stp;
    f = ls.point.f;
    g = std::move(ls.point.g);
    return ls.evals;
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
