#pragma once
// Newton's method with a line search: exact Newton on a Hessian factored by
// the caller (the modified Newton step plus a direction of negative curvature,
// searched along Moré & Sorensen's curvilinear path), and Hessian-free
// truncated Newton-CG with Eisenstat–Walker forcing terms.
//
// Why the whole outer loop is C++ with Python callbacks (rather than a Python
// loop over exposed line searches): Newton-CG's inner CG must run its vector
// work in C++ with the GIL released (the per-ISA kernels, as L-BFGS), and its
// products are requested from inside CG; one C++ loop then serves both
// methods with the outer loop, statuses and stopping tests L-BFGS runs on, and
// Python is entered only for what needs it: the user's f, g, H p and
// callback, and exact Newton's LAPACK factorisations (NumPy/SciPy).
#include <cstdint>
#include <functional>
#include <optional>

#include "fusedopt/objective.hpp"
#include "fusedopt/solver.hpp"

namespace fusedopt {

// Exact Newton's options are SolverOptions; Newton-CG adds its inner solver's.
struct NewtonCgOptions : SolverOptions {
  std::optional<std::int64_t> max_cg;  // CG iterations per outer iteration; none: 20 n
  double eta_max = 0.5;                // the largest forcing term, in (0, 1)

  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    SolverOptions::fields(self, visit);
    visit("max_cg", self.max_cg, option::OptionalIntIn{{1}});
    visit("eta_max", self.eta_max, option::Between{0.0, 1.0, "(0, 1)"});
  }
  // Throws std::invalid_argument with a message that names the option.
  void validate() const;
};

// Exact Newton's step at x: s solves (H + tau I) s = -g with H + tau I
// positive definite; when H has a negative eigenvalue, d is a direction of
// negative curvature with g'd <= 0 and `curvature` = d'Hd < 0.
struct NewtonStep {
  bool negative_curvature = false;
  double curvature = 0.0;
};
// Fills s (and d if negative_curvature) for the point x with gradient g.
using NewtonStepFn =
    std::function<NewtonStep(const double* x, const double* g, double* s, double* d)>;

// Newton-CG's Hessian-vector products. `at(x)` (optional) is called once per
// outer iteration before the products at that x; `times(p, hp)` fills H p.
// nhev counts products (per_product) or at() calls (a Hessian evaluated once
// per iteration and multiplied by the caller).
struct HessianProducts {
  std::function<void(const double* x)> at;
  std::function<void(const double* p, double* hp)> times;
  bool per_product = true;
};

// Exact Newton from x (n values, updated in place). Stops on gtol only where
// `step` reports no negative curvature, so it does not stop at a saddle.
SolverResult minimize_newton(const Objective& objective, double* x, std::int64_t n,
                             const SolverOptions& options, const NewtonStepFn& step,
                             const IterationCallback& callback);

// Truncated Newton-CG from x. `products` null: forward differences of the
// gradient, each costing one evaluation of `objective` (counted in nfev and nhev).
SolverResult minimize_newton_cg(const Objective& objective, double* x, std::int64_t n,
                                const NewtonCgOptions& options, const HessianProducts* products,
                                const IterationCallback& callback);

}  // namespace fusedopt
