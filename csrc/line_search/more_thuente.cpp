// Moré–Thuente line search, after Moré & Thuente, ACM TOMS 20(3), 1994 (the
// dcsrch/dcstep structure of MINPACK-2).
#include "more_thuente.hpp"

#include <algorithm>
#include <cmath>

namespace fusedopt::line_search {
namespace {

constexpr double kXtol = 0.1;  // relative width of the uncertainty interval (as L-BFGS-B)
constexpr double kStpMax = 1e20;
constexpr double kXtrapLower = 1.1, kXtrapUpper = 4.0;

// One end of the interval of uncertainty: step, value and derivative.
struct End {
  double stp, f, dg;
};

// Safeguarded cubic/quadratic step (dcstep): updates the interval [x, y] with
// the trial t and returns the next trial step.
double next_step(End& x, End& y, const End& t, bool& bracketed, double stpmin, double stpmax) {
  const double sgnd = t.dg * (x.dg / std::fabs(x.dg));
  double stpf;
  if (t.f > x.f) {  // higher value: the minimum is bracketed
    const double theta = 3.0 * (x.f - t.f) / (t.stp - x.stp) + x.dg + t.dg;
    const double s = std::max({std::fabs(theta), std::fabs(x.dg), std::fabs(t.dg)});
    double gamma = s * std::sqrt((theta / s) * (theta / s) - (x.dg / s) * (t.dg / s));
    if (t.stp < x.stp) gamma = -gamma;
    const double p = (gamma - x.dg) + theta;
    const double q = ((gamma - x.dg) + gamma) + t.dg;
    const double stpc = x.stp + (p / q) * (t.stp - x.stp);
    const double stpq =
        x.stp + ((x.dg / ((x.f - t.f) / (t.stp - x.stp) + x.dg)) / 2.0) * (t.stp - x.stp);
    stpf = std::fabs(stpc - x.stp) < std::fabs(stpq - x.stp) ? stpc : stpc + (stpq - stpc) / 2.0;
    bracketed = true;
  } else if (sgnd < 0.0) {  // derivatives of opposite sign: bracketed
    const double theta = 3.0 * (x.f - t.f) / (t.stp - x.stp) + x.dg + t.dg;
    const double s = std::max({std::fabs(theta), std::fabs(x.dg), std::fabs(t.dg)});
    double gamma = s * std::sqrt((theta / s) * (theta / s) - (x.dg / s) * (t.dg / s));
    if (t.stp > x.stp) gamma = -gamma;
    const double p = (gamma - t.dg) + theta;
    const double q = ((gamma - t.dg) + gamma) + x.dg;
    const double stpc = t.stp + (p / q) * (x.stp - t.stp);
    const double stpq = t.stp + (t.dg / (t.dg - x.dg)) * (x.stp - t.stp);
    stpf = std::fabs(stpc - t.stp) > std::fabs(stpq - t.stp) ? stpc : stpq;
    bracketed = true;
  } else if (std::fabs(t.dg) < std::fabs(x.dg)) {  // lower value, derivative decreases
    const double theta = 3.0 * (x.f - t.f) / (t.stp - x.stp) + x.dg + t.dg;
    const double s = std::max({std::fabs(theta), std::fabs(x.dg), std::fabs(t.dg)});
    double gamma =
        s * std::sqrt(std::max(0.0, (theta / s) * (theta / s) - (x.dg / s) * (t.dg / s)));
    if (t.stp > x.stp) gamma = -gamma;
    const double p = (gamma - t.dg) + theta;
    const double q = (gamma + (x.dg - t.dg)) + gamma;
    const double r = p / q;
    double stpc;
    if (r < 0.0 && gamma != 0.0)
      stpc = t.stp + r * (x.stp - t.stp);
    else
      stpc = t.stp > x.stp ? stpmax : stpmin;
    const double stpq = t.stp + (t.dg / (t.dg - x.dg)) * (x.stp - t.stp);
    if (bracketed) {
      stpf = std::fabs(stpc - t.stp) < std::fabs(stpq - t.stp) ? stpc : stpq;
      stpf = t.stp > x.stp ? std::min(t.stp + 0.66 * (y.stp - t.stp), stpf)
                           : std::max(t.stp + 0.66 * (y.stp - t.stp), stpf);
    } else {
      stpf = std::fabs(stpc - t.stp) > std::fabs(stpq - t.stp) ? stpc : stpq;
      stpf = std::max(stpmin, std::min(stpmax, stpf));
    }
  } else {  // lower value, derivative does not decrease
    if (bracketed) {
      const double theta = 3.0 * (t.f - y.f) / (y.stp - t.stp) + y.dg + t.dg;
      const double s = std::max({std::fabs(theta), std::fabs(y.dg), std::fabs(t.dg)});
      double gamma = s * std::sqrt((theta / s) * (theta / s) - (y.dg / s) * (t.dg / s));
      if (t.stp > y.stp) gamma = -gamma;
      const double p = (gamma - t.dg) + theta;
      const double q = ((gamma - t.dg) + gamma) + y.dg;
      stpf = t.stp + (p / q) * (y.stp - t.stp);
    } else {
      stpf = t.stp > x.stp ? stpmax : stpmin;
    }
  }
  if (t.f > x.f) {
    y = t;
  } else {
    if (sgnd < 0.0) y = x;
    x = t;
  }
  return stpf;
}

}  // namespace

Result more_thuente(const Phi& phi, double f0, double dg0, double stp0, const MoreThuenteParams& p,
                    int max_evals) {
  Result out;
  const double gtest = p.c1 * dg0;
  double stp = std::min(stp0, kStpMax);
  double cap = kStpMax;  // below the smallest step that gave a non-finite value
  bool bracketed = false, stage1 = true;
  double width = kStpMax, width1 = 2.0 * kStpMax;
  End x{0.0, f0, dg0}, y{0.0, f0, dg0};
  double stmin = 0.0, stmax = stp + kXtrapUpper * stp;

  bool latest_finite = false;  // the caller's buffers hold out.point
  while (out.evals < max_evals) {
    Trial t = phi(stp);
    ++out.evals;
    latest_finite = finite(t);
    if (!latest_finite) {
      cap = stp;
      stp = x.stp + 0.5 * (stp - x.stp);
      if (!(stp > x.stp)) {
        out.status = Status::failed;
        return out;
      }
      continue;
    }
    out.point = t;
    const double ftest = f0 + stp * gtest;
    const bool armijo = t.f <= ftest;
    if (stage1 && armijo && t.dg >= 0.0) stage1 = false;
    if (armijo && std::fabs(t.dg) <= p.c2 * -dg0) {
      out.status = Status::converged;
      return out;
    }
    // Rounding errors or a collapsed interval: accept the point if it decreases f enough.
    if ((bracketed && (stp <= stmin || stp >= stmax)) ||
        (bracketed && stmax - stmin <= kXtol * stmax)) {
      out.status = armijo ? Status::sufficient_decrease : Status::failed;
      return out;
    }
    const End trial{stp, t.f, t.dg};
    if (stage1 && t.f <= x.f && !armijo) {
      // Work on the modified function psi(stp) = f - f0 - stp * gtest.
      End xm{x.stp, x.f - x.stp * gtest, x.dg - gtest};
      End ym{y.stp, y.f - y.stp * gtest, y.dg - gtest};
      const End tm{stp, t.f - stp * gtest, t.dg - gtest};
      stp = next_step(xm, ym, tm, bracketed, stmin, stmax);
      x = {xm.stp, xm.f + xm.stp * gtest, xm.dg + gtest};
      y = {ym.stp, ym.f + ym.stp * gtest, ym.dg + gtest};
    } else {
      stp = next_step(x, y, trial, bracketed, stmin, stmax);
    }
    if (bracketed) {
      if (std::fabs(y.stp - x.stp) >= 0.66 * width1) stp = x.stp + 0.5 * (y.stp - x.stp);
      width1 = width;
      width = std::fabs(y.stp - x.stp);
      stmin = std::min(x.stp, y.stp);
      stmax = std::max(x.stp, y.stp);
    } else {
      stmin = stp + kXtrapLower * (stp - x.stp);
      stmax = stp + kXtrapUpper * (stp - x.stp);
    }
    stp = std::max(0.0, std::min(stp, kStpMax));
    if (stp >= cap) stp = x.stp + 0.5 * (cap - x.stp);
    if ((bracketed && (stp <= stmin || stp >= stmax)) ||
        (bracketed && stmax - stmin <= kXtol * stmax))
      stp = x.stp;
    if (stp == 0.0) break;
  }
  // Out of evaluations (or of steps): the latest point is usable if it decreases f enough.
  if (latest_finite && out.point.stp > 0.0 && out.point.f <= f0 + out.point.stp * gtest)
    out.status = Status::sufficient_decrease;
  else
    out.status = out.evals < max_evals ? Status::failed : Status::max_evals;
  return out;
}

}  // namespace fusedopt::line_search
