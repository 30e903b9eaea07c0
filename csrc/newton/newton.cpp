// Newton's method: exact Newton and Newton-CG on the shared outer loop
// (csrc/solver/outer_loop.hpp).
//
// Each iteration gets a direction, then searches along it:
//   * straight, x(t) = x + t s: Moré–Thuente (strong Wolfe) from t = 1, the
//     Newton step, as L-BFGS's line search (line_search/more_thuente.hpp);
//   * curved, when exact Newton found negative curvature d: Moré & Sorensen's
//     curvilinear search (line_search/curvilinear.hpp) ("On the use of directions of negative curvature in a
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

#include "../line_search/curvilinear.hpp"
#include "../line_search/more_thuente.hpp"
#include "../solver/option_checks.hpp"
#include "../solver/outer_loop.hpp"
#include "truncated_cg.hpp"

namespace fusedopt {

void NewtonCgOptions::validate() const { solver::check_fields(*this); }

namespace {

using line_search::Trial;

constexpr double kRoundingNoise = 1e-12;  // relative: far above the rounding of a sum of squares

// What one iteration searches along (see the top of the file).
struct Direction {
  bool curved = false;      // x(a) = x + a^2 s + a d, else x(t) = x + t s
  double slope = 0.0;       // g's, or g's + d'Hd / 2 when curved
  double first_step = 1.0;  // the first trial t (straight)
};

class Newton : public solver::OuterLoop {
 public:
  Newton(std::int64_t n, const SolverOptions& options) : OuterLoop(n, options), s_(n), d_(n) {}

 protected:
  // The direction at (x_, g_) into s_ (and d_ when curved).
  virtual Direction direction() = 0;

  std::vector<double> s_, d_;

 private:
  // Along the direction; if that fails, along steepest descent.
  StepOutcome step(bool small) override {
    const Direction dir = direction();
    if (small && !dir.curved) return StepOutcome::stationary;
    return search(dir) || search(steepest_descent()) ? StepOutcome::taken : StepOutcome::failed;
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
    if (!line_search::finite(out)) saw_non_finite_ = true;
    return out;
  }

  // On success x_trial_, g_trial_ and f_trial_ hold the accepted point.
  bool search(const Direction& dir) {
    if (!(dir.slope < 0.0)) return false;  // not a descent direction (or NaN)
    const int evals = budget();
    if (evals < 1) return false;
    if (-dir.slope <= kRoundingNoise * std::fabs(f_)) return accept_within_noise(dir);
    const line_search::Phi phi = [&](double t) { return trial(dir, t); };
    const line_search::Result ls =
        dir.curved
            ? line_search::curvilinear(phi, f_, dir.slope, {options_.c1}, evals)
            : line_search::more_thuente(phi, f_, dir.slope, dir.first_step,
                                        {options_.c1, options_.c2}, evals);
    f_trial_ = ls.point.f;
    return ls.ok();
  }

  bool accept_within_noise(const Direction& dir) {
    const Trial t = trial(dir, dir.curved ? 1.0 : dir.first_step);
    f_trial_ = t.f;
    return t.f <= f_ + kRoundingNoise * std::fabs(f_) &&
           v_.abs_max(g_trial_.data()) < v_.abs_max(g_.data());
  }
};

// Exact Newton: the caller factors the Hessian (LAPACK from Python).
class ExactNewton final : public Newton {
 public:
  ExactNewton(std::int64_t n, const SolverOptions& options, const NewtonStepFn& step)
      : Newton(n, options), step_(step) {}

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
class NewtonCg final : public Newton {
 public:
  NewtonCg(std::int64_t n, const NewtonCgOptions& options, const HessianProducts* products)
      : Newton(n, options),
        products_(products),
        cg_(n, options.max_cg.value_or(20 * std::max<std::int64_t>(n, 1))),
        forcing_(options.eta_max, options.gtol) {}

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
    if (nfev_ >= options_.max_fev) return false;
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

SolverResult minimize_newton(const Objective& objective, double* x, std::int64_t n,
                             const SolverOptions& options, const NewtonStepFn& step,
                             const IterationCallback& callback) {
  options.validate();
  ExactNewton solver(n, options, step);
  return solver.run(objective, x, callback);
}

SolverResult minimize_newton_cg(const Objective& objective, double* x, std::int64_t n,
                                const NewtonCgOptions& options, const HessianProducts* products,
                                const IterationCallback& callback) {
  options.validate();
  NewtonCg solver(n, options, products);
  return solver.run(objective, x, callback);
}

}  // namespace fusedopt
