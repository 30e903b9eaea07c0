#include "truncated_cg.hpp"

#include <algorithm>
#include <cmath>

namespace fusedopt::newton {

TruncatedCg::TruncatedCg(std::int64_t n, std::int64_t max_iter)
    : max_iter_(max_iter), r_(n), d_(n), hd_(n) {}

CgOutcome TruncatedCg::solve(const Product& product, const double* g, double tol, double* s,
                             const solver::Vectors& v) {
  const std::int64_t n = v.size();
  CgOutcome out;
  std::fill(s, s + n, 0.0);
  std::copy(g, g + n, r_.begin());
  std::transform(g, g + n, d_.begin(), [](double gi) { return -gi; });
  double rr = v.dot(r_.data(), r_.data());
  const double tol2 = tol * tol;
  for (; out.iterations < max_iter_; ++out.iterations) {
    const bool ok = product(d_.data(), hd_.data());
    const double curvature = ok ? v.dot(d_.data(), hd_.data()) : 0.0;
    if (!(curvature > 0.0)) {  // also NaN
      out.negative_curvature = true;
      if (out.iterations == 0) {
        std::transform(g, g + n, s, [](double gi) { return -gi; });
        out.steepest_descent = true;
      }
      return out;
    }
    const double alpha = rr / curvature;
    v.axpy(alpha, d_.data(), s);
    const double rr_next = v.axpy_dot(alpha, hd_.data(), r_.data(), r_.data());
    if (rr_next <= tol2) {
      ++out.iterations;
      return out;
    }
    v.scale(rr_next / rr, d_.data());  // d = -r + beta d
    v.axpy(-1.0, r_.data(), d_.data());
    rr = rr_next;
  }
  return out;
}

double ForcingTerm::tolerance(double gnorm) {
  double eta = eta_max_;
  if (!first_) {
    eta = kGamma * std::pow(gnorm / previous_gnorm_, kAlpha);
    const double floor = kGamma * std::pow(previous_eta_, kAlpha);
    if (floor > kThreshold) eta = std::max(eta, floor);
    eta = std::min(eta, eta_max_);
  }
  first_ = false;
  previous_gnorm_ = gnorm;
  previous_eta_ = eta;
  return std::min(eta_max_ * gnorm, std::max(eta * gnorm, 0.5 * gtol_));
}

}  // namespace fusedopt::newton
