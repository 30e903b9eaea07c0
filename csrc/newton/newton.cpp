// Newton's method: the outer loop shared by exact Newton and Newton-CG.
//
// Each iteration gets a direction, then searches along it:
//   * straight, x(t) = x + t s: Moré–Thuente (strong Wolfe) from t = 1, the
//     Newton step, as L-BFGS's line search;
//   * curved, when exact Newton found negative curvature d: Moré & Sorensen's
//     curvilinear search ("On the use of directions of negative curvature in a
//     modified Newton method", Math. Programming 16, 1979) along
//     x(a) = x + a^2 s + a d: the first a = 1, 1/2, 1/4, ... with
//       f(x(a)) <= f(x) + c1 a^2 (g's + d'Hd / 2).
//     Because d'Hd < 0 the test can be met even where g = 0 or g'd = 0 (a
//     saddle), where a straight search along the modified Newton step s
//     cannot leave it.
// If the search fails, one retry along steepest descent; then the solver stops.
//
// Near a minimum the decrease a Newton step promises (-g's, of the order of
// ||g||^2 / ||H||) falls below the rounding error of f long before the
// gradient reaches a tight gtol, and then no sufficient-decrease test can
// accept anything (Freudenstein & Roth at f = 49: ||g|| stalls at 3e-7 with
// gtol = 1e-8, 40 evaluations per failed iteration). When the promised
// decrease is below kRoundingNoise |f|, the first trial point (the full step)
// is accepted if f rose by at most that much and the gradient shrank;
// otherwise the search has failed.
#include "fusedopt/newton.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "../lbfgs/line_search.hpp"
#include "../lbfgs/stopping.hpp"
#include "../lbfgs/vectors.hpp"
#include "truncated_cg.hpp"

namespace fusedopt {

void NewtonParams::validate() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
  if (max_iter < 0) fail("max_iter must be >= 0, got " + std::to_string(max_iter));
  if (max_fev < 1) fail("max_fev must be >= 1, got " + std::to_string(max_fev));
  if (!(gtol >= 0.0)) fail("gtol must be >= 0, got " + std::to_string(gtol));
  if (!(ftol >= 0.0)) fail("ftol must be >= 0, got " + std::to_string(ftol));
  if (max_ls < 1) fail("max_ls must be >= 1, got " + std::to_string(max_ls));
  if (!(c1 > 0.0 && c1 < 1.0)) fail("c1 must be in (0, 1), got " + std::to_string(c1));
  if (!(c2 > c1 && c2 < 1.0)) fail("c2 must be in (c1, 1), got " + std::to_string(c2));
  if (max_cg < 0) fail("max_cg must be >= 0, got " + std::to_string(max_cg));
  if (!(eta_max > 0.0 && eta_max < 1.0))
    fail("eta_max must be in (0, 1), got " + std::to_string(eta_max));
}

LbfgsParams NewtonParams::line_search() const {
  LbfgsParams p;
  p.max_ls = max_ls;
  p.c1 = c1;
  p.c2 = c2;
  return p;
}

namespace {

using lbfgs::Trial;
using lbfgs::Vectors;

constexpr double kRoundingNoise = 1e-12;  // relative: far above the rounding of a sum of squares

// What one iteration searches along (see the top of the file).
struct Direction {
  bool curved = false;      // x(a) = x + a^2 s + a d, else x(t) = x + t s
  double slope = 0.0;       // g's, or g's + d'Hd / 2 when curved
  double first_step = 1.0;  // the first trial t (straight)
};

class Solver {
 public:
  Solver(const Objective& objective, std::int64_t n, const NewtonParams& p,
         const IterationCallback& callback)
      : p_(p),
        ls_(p.line_search()),
        n_(n),
        v_(n),
        objective_(objective),
        callback_(callback),
        x_(n),
        g_(n),
        x_trial_(n),
        g_trial_(n),
        s_(n),
        d_(n),
        ftol_(p.ftol) {}
  virtual ~Solver() = default;
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;

  NewtonResult run(double* x_user) {
    std::copy(x_user, x_user + n_, x_.begin());
    NewtonResult result;
    result.status = solve();
    std::copy(x_.begin(), x_.end(), x_user);
    result.f = f_;
    result.g = g_;
    result.nit = nit_;
    result.nfev = nfev_;
    result.nhev = nhev_;
    result.message = status_message(result.status);
    return result;
  }

 protected:
  // The direction at (x_, g_) into s_ (and d_ when curved).
  virtual Direction direction() = 0;
  // Whether direction() sees negative curvature, so that a small gradient
  // alone does not end the run (exact Newton: not at a saddle).
  virtual bool second_order() const { return false; }

  double evaluate(const double* x, double* g) {
    ++nfev_;
    return objective_(x, g);
  }

  const NewtonParams p_;
  const LbfgsParams ls_;
  const std::int64_t n_;
  const Vectors v_;
  const Objective& objective_;
  const IterationCallback& callback_;
  std::vector<double> x_, g_, x_trial_, g_trial_, s_, d_;
  double f_ = 0.0;
  std::int64_t nit_ = 0, nfev_ = 0, nhev_ = 0;

 private:
  bool small_gradient() const { return v_.abs_max(g_.data()) <= p_.gtol; }

  LbfgsStatus solve() {
    f_ = evaluate(x_.data(), g_.data());
    if (!std::isfinite(f_) || !std::isfinite(v_.abs_max(g_.data())))
      return LbfgsStatus::non_finite;
    for (;;) {
      const bool small = small_gradient();
      if (small && !second_order()) return LbfgsStatus::converged_gtol;
      if (nit_ >= p_.max_iter) return small ? LbfgsStatus::converged_gtol : LbfgsStatus::max_iter;
      if (nfev_ >= p_.max_fev) return small ? LbfgsStatus::converged_gtol : LbfgsStatus::max_fev;
      const Direction dir = direction();
      if (small && !dir.curved) return LbfgsStatus::converged_gtol;
      saw_non_finite_ = false;
      if (!search(dir) && !search(steepest_descent())) {
        if (small) return LbfgsStatus::converged_gtol;
        if (nfev_ >= p_.max_fev) return LbfgsStatus::max_fev;
        return saw_non_finite_ ? LbfgsStatus::non_finite : LbfgsStatus::line_search_failed;
      }
      const double f_old = f_;
      std::swap(x_, x_trial_);
      std::swap(g_, g_trial_);
      f_ = f_trial_;
      ++nit_;
      if (callback_ && callback_(x_.data(), f_)) return LbfgsStatus::callback_stop;
      if (!small_gradient() && ftol_.stalled(f_old, f_)) return LbfgsStatus::converged_ftol;
    }
  }

  // -g, with a first step of unit length (L-BFGS's first iteration).
  Direction steepest_descent() {
    std::transform(g_.begin(), g_.end(), s_.begin(), [](double gi) { return -gi; });
    Direction dir;
    dir.slope = -v_.dot(g_.data(), g_.data());
    dir.first_step = 1.0 / std::sqrt(-dir.slope);
    return dir;
  }

  // Evaluates x(t) = x + t s, or x(a) = x + a^2 s + a d, into x_trial_, g_trial_.
  Trial trial(const Direction& dir, double t) {
    v_.xpay(x_trial_.data(), x_.data(), dir.curved ? t * t : t, s_.data());
    if (dir.curved) v_.axpy(t, d_.data(), x_trial_.data());
    Trial out{t, evaluate(x_trial_.data(), g_trial_.data()), 0.0};
    out.dg = v_.dot(g_trial_.data(), s_.data());  // d f(x(t)) / dt
    if (dir.curved) out.dg = 2.0 * t * out.dg + v_.dot(g_trial_.data(), d_.data());
    if (!std::isfinite(out.f) || !std::isfinite(out.dg)) saw_non_finite_ = true;
    return out;
  }

  // On success x_trial_, g_trial_ and f_trial_ hold the accepted point.
  bool search(const Direction& dir) {
    if (!(dir.slope < 0.0)) return false;  // not a descent direction (or NaN)
    const int budget = static_cast<int>(std::min<std::int64_t>(p_.max_ls, p_.max_fev - nfev_));
    if (budget < 1) return false;
    if (-dir.slope <= kRoundingNoise * std::fabs(f_)) return accept_within_noise(dir);
    const lbfgs::Phi phi = [&](double t) { return trial(dir, t); };
    const lbfgs::LineSearchResult ls =
        dir.curved ? lbfgs::curvilinear(phi, f_, dir.slope, ls_, budget)
                   : lbfgs::more_thuente(phi, f_, dir.slope, dir.first_step, ls_, budget);
    f_trial_ = ls.point.f;
    return ls.ok;
  }

  bool accept_within_noise(const Direction& dir) {
    const Trial t = trial(dir, dir.curved ? 1.0 : dir.first_step);
    f_trial_ = t.f;
    return t.f <= f_ + kRoundingNoise * std::fabs(f_) &&
           v_.abs_max(g_trial_.data()) < v_.abs_max(g_.data());
  }

  double f_trial_ = 0.0;
  bool saw_non_finite_ = false;
  lbfgs::FtolWindow ftol_;
};

// Exact Newton: the caller factors the Hessian (LAPACK from Python).
class ExactNewton final : public Solver {
 public:
  ExactNewton(const Objective& objective, std::int64_t n, const NewtonParams& p,
              const NewtonStepFn& step, const IterationCallback& callback)
      : Solver(objective, n, p, callback), step_(step) {}

 private:
  bool second_order() const override { return true; }

  Direction direction() override {
    ++nhev_;
    const NewtonStep step = step_(x_.data(), g_.data(), s_.data(), d_.data());
    Direction dir;
    dir.slope = v_.dot(g_.data(), s_.data());
    if (step.negative_curvature) {
      dir.curved = true;
      dir.slope += 0.5 * step.curvature;
    }
    return dir;
  }

  const NewtonStepFn& step_;
};

// Hessian-free truncated Newton: CG in C++ on products from the caller or
// from forward differences of the gradient.
class NewtonCg final : public Solver {
 public:
  NewtonCg(const Objective& objective, std::int64_t n, const NewtonParams& p,
           const HessianProducts* products, const IterationCallback& callback)
      : Solver(objective, n, p, callback),
        products_(products),
        cg_(n, p.max_cg > 0 ? p.max_cg : 20 * std::max<std::int64_t>(n, 1)),
        forcing_(p.eta_max, p.gtol) {}

 private:
  Direction direction() override {
    if (products_ && products_->at) {
      products_->at(x_.data());
      if (!products_->per_product) ++nhev_;
    }
    const double tol = forcing_.tolerance(std::sqrt(v_.dot(g_.data(), g_.data())));
    x_norm_ = std::sqrt(v_.dot(x_.data(), x_.data()));
    const newton::Product product = [this](const double* p, double* hp) {
      return products_ ? given_product(p, hp) : difference_product(p, hp);
    };
    cg_.solve(product, g_.data(), tol, s_.data(), v_);
    Direction dir;
    dir.slope = v_.dot(g_.data(), s_.data());
    return dir;
  }

  bool given_product(const double* p, double* hp) {
    products_->times(p, hp);
    if (products_->per_product) ++nhev_;
    return std::isfinite(v_.abs_max(hp));
  }

  // H p ~ (g(x + eps p) - g(x)) / eps with eps = sqrt(u) sqrt(1 + ||x||) / ||p||,
  // the differencing step of Pernice & Walker's NITSOL (SIAM J. Sci. Comput.
  // 19, 1998; PETSc's MATMFFD_WP): the step grows with x's scale, and the
  // error of a forward difference is smallest near sqrt(u) relative. x_trial_
  // and g_trial_ are free outside the line search.
  bool difference_product(const double* p, double* hp) {
    if (nfev_ >= p_.max_fev) return false;
    const double p_norm = std::sqrt(v_.dot(p, p));
    if (!(p_norm > 0.0)) return false;
    const double eps =
        std::sqrt(std::numeric_limits<double>::epsilon() * (1.0 + x_norm_)) / p_norm;
    v_.xpay(x_trial_.data(), x_.data(), eps, p);
    ++nhev_;
    const double f = evaluate(x_trial_.data(), g_trial_.data());
    v_.diff(hp, g_trial_.data(), g_.data());
    v_.scale(1.0 / eps, hp);
    return std::isfinite(f) && std::isfinite(v_.abs_max(hp));
  }

  const HessianProducts* products_;
  newton::TruncatedCg cg_;
  newton::ForcingTerm forcing_;
  double x_norm_ = 0.0;
};

}  // namespace

NewtonResult minimize_newton(const Objective& objective, double* x, std::int64_t n,
                             const NewtonParams& params, const NewtonStepFn& step,
                             const IterationCallback& callback) {
  params.validate();
  ExactNewton solver(objective, n, params, step, callback);
  return solver.run(x);
}

NewtonResult minimize_newton_cg(const Objective& objective, double* x, std::int64_t n,
                                const NewtonParams& params, const HessianProducts* products,
                                const IterationCallback& callback) {
  params.validate();
  NewtonCg solver(objective, n, params, products, callback);
  return solver.run(x);
}

}  // namespace fusedopt
