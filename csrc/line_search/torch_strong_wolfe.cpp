// torch.optim.LBFGS's _strong_wolfe and _cubic_interpolate (torch/optim/lbfgs.py,
// torch 2.x), line by line where they decide which steps are tried and kept.
#include "torch_strong_wolfe.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace fusedopt::line_search {
namespace {

// Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to
// [lo, hi]; their midpoint when the cubic has none.
double cubic_minimum(double x1, double f1, double g1, double x2, double f2, double g2, double lo,
                     double hi) {
  const double d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (!(d2_square >= 0.0)) return (lo + hi) / 2.0;
  const double d2 = std::sqrt(d2_square);
  const double at = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
                             : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2));
  return std::min(std::max(at, lo), hi);
}

double cubic_minimum(double x1, double f1, double g1, double x2, double f2, double g2) {
  return cubic_minimum(x1, f1, g1, x2, f2, g2, std::min(x1, x2), std::max(x1, x2));
}

}  // namespace

TorchStrongWolfeResult torch_strong_wolfe(const GradientPhi& phi, const GradientTrial& start,
                                          double stp0, double d_norm,
                                          const TorchStrongWolfeParams& p, std::int64_t max_ls) {
  const double f0 = start.f, dg0 = start.dg;
  GradientTrial prev = start, next{stp0, 0.0, 0.0, std::vector<double>(start.g.size())};
  phi(next);
  TorchStrongWolfeResult out;
  out.evals = 1;
  std::int64_t ls_iter = 0;
  GradientTrial bracket[2];
  bool done = false, bracketed = false;
  while (ls_iter < max_ls) {  // bracketing
    const bool too_far = next.f > f0 + p.c1 * next.stp * dg0 || (ls_iter > 1 && next.f >= prev.f);
    if (!too_far && std::fabs(next.dg) <= -p.c2 * dg0) {  // strong Wolfe: accept
      bracket[0] = bracket[1] = next;
      done = bracketed = true;
      break;
    }
    if (too_far || next.dg >= 0.0) {
      bracket[0] = prev;
      bracket[1] = next;
      bracketed = true;
      break;
    }
    const double stp = cubic_minimum(prev.stp, prev.f, prev.dg, next.stp, next.f, next.dg,
                                     next.stp + 0.01 * (next.stp - prev.stp), next.stp * 10.0);
    std::swap(prev, next);
    next.stp = stp;
    phi(next);
    ++out.evals;
    ++ls_iter;
  }
  if (!bracketed) {  // out of evaluations: the start and the last trial
    bracket[0] = GradientTrial{0.0, f0, 0.0, start.g};
    bracket[1] = next;
  }
  int low = bracket[0].f <= bracket[1].f ? 0 : 1;
  bool insufficient_progress = false, too_narrow = false;
  while (!done && ls_iter < max_ls) {  // zoom
    GradientTrial &a = bracket[0], &b = bracket[1];
    if (std::fabs(b.stp - a.stp) * d_norm < p.tolerance_change) {
      too_narrow = true;
      break;
    }
    double stp = cubic_minimum(a.stp, a.f, a.dg, b.stp, b.f, b.dg);
    const double hi = std::max(a.stp, b.stp), lo = std::min(a.stp, b.stp), eps = 0.1 * (hi - lo);
    if (std::min(hi - stp, stp - lo) < eps) {  // too close to an end of the bracket
      if (insufficient_progress || stp >= hi || stp <= lo) {
        stp = std::fabs(stp - hi) < std::fabs(stp - lo) ? hi - eps : lo + eps;
        insufficient_progress = false;
      } else {
        insufficient_progress = true;
      }
    } else {
      insufficient_progress = false;
    }
    next.stp = stp;
    phi(next);
    ++out.evals;
    ++ls_iter;
    const int high = 1 - low;
    if (next.f > f0 + p.c1 * next.stp * dg0 || next.f >= bracket[low].f) {
      bracket[high] = next;
      low = bracket[0].f <= bracket[1].f ? 0 : 1;
      continue;
    }
    if (std::fabs(next.dg) <= -p.c2 * dg0)
      done = true;
    else if (next.dg * (bracket[high].stp - bracket[low].stp) >= 0.0)
      bracket[high] = bracket[low];
    bracket[low] = next;
  }
  out.status = done ? Status::converged : too_narrow ? Status::failed : Status::max_evals;
  out.point = std::move(bracket[low]);
  return out;
}

}  // namespace fusedopt::line_search
