#include "backtracking.hpp"

#include <cmath>
#include <limits>

namespace fusedopt::line_search {

Result backtracking(const Phi& phi, double f0, double dg0, double stp0,
                    const BacktrackingParams& p, int max_evals) {
  Result out;
  double stp = stp0, lo = 0.0, hi = std::numeric_limits<double>::infinity();
  while (out.evals < max_evals) {
    const Trial t = phi(stp);
    ++out.evals;
    out.point = t;
    if (!finite(t) || t.f > f0 + p.c1 * stp * dg0) {
      hi = stp;
    } else if (p.wolfe && t.dg < p.c2 * dg0) {
      lo = stp;
    } else {
      out.status = Status::converged;
      return out;
    }
    stp = std::isfinite(hi) ? 0.5 * (lo + hi) : 2.0 * stp;
  }
  out.status = Status::max_evals;
  return out;
}

}  // namespace fusedopt::line_search
