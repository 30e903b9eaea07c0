#pragma once
// Moré & Sorensen's search along a curve x(a) = x + a^2 s + a d ("On the use of
// directions of negative curvature in a modified Newton method", Math.
// Programming 16, 1979), phi(a) = f(x(a)).
#include "line_search.hpp"

namespace fusedopt::line_search {

struct CurvilinearParams {
  double c1 = 1e-4;  // sufficient decrease: f <= f0 + c1 a^2 q
};

// The first a = 1, 1/2, 1/4, ... with f <= f0 + c1 a^2 q, where q = g's +
// d'Hd / 2 < 0 is the coefficient of a^2 in the path's quadratic model (its
// a g'd term is <= 0 and left out). Statuses: converged, max_evals.
Result curvilinear(const Phi& phi, double f0, double q, const CurvilinearParams& p,
                   int max_evals);

}  // namespace fusedopt::line_search
