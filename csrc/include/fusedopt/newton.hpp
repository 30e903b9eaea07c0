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
// methods with L-BFGS's statuses, stopping tests and line searches, and
// Python is entered only for what needs it: the user's f, g, H p and
// callback, and exact Newton's LAPACK factorisations (NumPy/SciPy).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fusedopt/lbfgs.hpp"
#include "fusedopt/lbfgs_params.hpp"
#include "fusedopt/objective.hpp"

namespace fusedopt {

struct NewtonParams {
  std::int64_t max_iter = 15000;
  std::int64_t max_fev = 15000;
  double gtol = 1e-5;    // on the infinity norm of the gradient
  double ftol = 2.2e-9;  // as LbfgsParams::ftol
  int max_ls = 20;       // evaluations per line search
  double c1 = 1e-4;      // sufficient decrease
  double c2 = 0.9;       // curvature (strong Wolfe)
  std::int64_t max_cg = 0;  // Newton-CG: CG iterations per outer iteration; 0 means 20 n
  double eta_max = 0.5;     // Newton-CG: largest forcing term, in (0, 1)

  // Throws std::invalid_argument with a message that names the parameter.
  void validate() const;
  // The fields the line searches read.
  LbfgsParams line_search() const;
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

struct NewtonResult {
  double f = 0.0;
  std::vector<double> g;
  std::int64_t nit = 0, nfev = 0, nhev = 0;
  LbfgsStatus status = LbfgsStatus::max_iter;
  std::string message;
};

// Exact Newton from x (n values, updated in place). Stops on gtol only where
// `step` reports no negative curvature, so it does not stop at a saddle.
NewtonResult minimize_newton(const Objective& objective, double* x, std::int64_t n,
                             const NewtonParams& params, const NewtonStepFn& step,
                             const IterationCallback& callback);

// Truncated Newton-CG from x. `products` null: forward differences of the
// gradient, each costing one evaluation of `objective` (counted in nfev and nhev).
NewtonResult minimize_newton_cg(const Objective& objective, double* x, std::int64_t n,
                                const NewtonParams& params, const HessianProducts* products,
                                const IterationCallback& callback);

}  // namespace fusedopt
