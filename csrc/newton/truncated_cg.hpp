#pragma once
// The inner solver of Newton-CG: conjugate gradients on H s = -g, truncated
// by a forcing term or at the first direction of non-positive curvature.
#include <cstdint>
#include <functional>
#include <vector>

#include "../solver/vectors.hpp"

namespace fusedopt::newton {

// Fills hp = H p; returns false if it could not (a non-finite product, or no
// evaluations left), which ends the CG iteration like negative curvature.
using Product = std::function<bool(const double* p, double* hp)>;

struct CgOutcome {
  std::int64_t iterations = 0;
  bool negative_curvature = false;  // stopped at d'Hd <= 0 (or a failed product)
  bool steepest_descent = false;    // that happened on the first iteration: s = -g
};

// Nocedal & Wright, "Numerical Optimization" (2nd ed.), Algorithm 7.1 (line
// search Newton-CG): CG from s = 0 until ||H s + g|| <= tol; at the first
// direction d with d'Hd <= 0 it returns the current iterate, or -g if that is
// still 0. Every iterate s_j of CG from 0 before such a d satisfies g's_j < 0,
// so the result is a descent direction.
class TruncatedCg {
 public:
  TruncatedCg(std::int64_t n, std::int64_t max_iter);
  CgOutcome solve(const Product& product, const double* g, double tol, double* s,
                  const solver::Vectors& v);

 private:
  std::int64_t max_iter_;
  std::vector<double> r_, d_, hd_;  // residual H s + g, search direction, H d
};

// Eisenstat & Walker, "Choosing the forcing terms in an inexact Newton
// method", SIAM J. Sci. Comput. 17(1), 1996: choice 2,
//   eta_k = gamma (||g_k|| / ||g_k-1||)^alpha,  gamma = 0.9, alpha = 2,
// safeguarded by eta_k >= gamma eta_k-1^alpha whenever that bound exceeds 0.1
// (so eta cannot collapse after one lucky step), capped at eta_max, and
// eta_0 = eta_max. alpha = 2 keeps Newton's local quadratic convergence
// (eta_k = O(||g_k||)). The CG tolerance is eta_k ||g_k||, but never below
// gtol / 2 (Kelley's safeguard against oversolving: a residual below the
// stopping tolerance buys nothing).
class ForcingTerm {
 public:
  ForcingTerm(double eta_max, double gtol) : eta_max_(eta_max), gtol_(gtol) {}
  // The CG tolerance on ||H s + g||_2 at an iterate with ||g||_2 = gnorm.
  double tolerance(double gnorm);

 private:
  static constexpr double kGamma = 0.9, kAlpha = 2.0, kThreshold = 0.1;
  double eta_max_, gtol_;
  double previous_gnorm_ = 0.0, previous_eta_ = 0.0;
  bool first_ = true;
};

}  // namespace fusedopt::newton
