#pragma once
// Line searches along a descent direction d from x: phi(stp) = f(x + stp * d).
#include <functional>

#include "fusedopt/lbfgs_params.hpp"

namespace fusedopt::lbfgs {

struct Trial {
  double stp, f, dg;  // dg = phi'(stp) = g(x + stp d)' d
};

// Evaluates phi at stp (the caller keeps x + stp d and its gradient as the
// latest trial point) and returns f and phi'. Values may be non-finite.
using Phi = std::function<Trial(double stp)>;

struct LineSearchResult {
  bool ok = false;  // the latest trial point is the accepted one
  Trial point{};
  int evals = 0;
};

// Moré & Thuente (1994): a point satisfying the strong Wolfe conditions
// f <= f0 + c1 stp dg0 and |dg| <= c2 |dg0|. A non-finite trial point halves
// the step towards the best point and caps the search below it.
LineSearchResult more_thuente(const Phi& phi, double f0, double dg0, double stp0,
                              const LbfgsParams& p, int max_evals);

// Armijo backtracking (halving); with p.backtracking_wolfe also the weak
// Wolfe condition dg >= c2 dg0 (the step doubles while it fails).
LineSearchResult backtracking(const Phi& phi, double f0, double dg0, double stp0,
                              const LbfgsParams& p, int max_evals);

// Moré & Sorensen's search along a curve x(a) = x + a^2 s + a d (Math.
// Programming 16, 1979), phi(a) = f(x(a)): the first a = 1, 1/2, 1/4, ...
// with f <= f0 + c1 a^2 q, where q = g's + d'Hd / 2 < 0 is the coefficient of
// a^2 in the path's quadratic model (its a g'd term is <= 0 and left out).
LineSearchResult curvilinear(const Phi& phi, double f0, double q, const LbfgsParams& p,
                             int max_evals);

}  // namespace fusedopt::lbfgs
