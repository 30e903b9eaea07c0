#include "projected_backtracking.hpp"

namespace fusedopt::line_search {

Result projected_backtracking(const Phi& phi, double f0, double stp0,
                              const ProjectedBacktrackingParams& p, int max_evals) {
  Result out;
  for (double stp = stp0; out.evals < max_evals; stp *= 0.5) {
    const Trial t = phi(stp);
    ++out.evals;
    if (!finite(t)) continue;
    out.point = t;
    if (t.f <= f0 + p.c1 * t.dg) {
      out.status = Status::converged;
      return out;
    }
  }
  out.status = Status::max_evals;
  return out;
}

}  // namespace fusedopt::line_search
