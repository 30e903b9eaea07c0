#include "curvilinear.hpp"

namespace fusedopt::line_search {

Result curvilinear(const Phi& phi, double f0, double q, const CurvilinearParams& p,
                   int max_evals) {
  Result out;
  for (double a = 1.0; out.evals < max_evals; a *= 0.5) {
    out.point = phi(a);
    ++out.evals;
    if (finite(out.point) && out.point.f <= f0 + p.c1 * a * a * q) {
      out.status = Status::converged;
      return out;
    }
  }
  out.status = Status::max_evals;
  return out;
}

}  // namespace fusedopt::line_search
