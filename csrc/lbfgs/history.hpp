#pragma once
// The m most recent curvature pairs (s, y), stored contiguously in a ring, and
// the two-loop recursion that applies the L-BFGS inverse Hessian to a vector.
#include <cstdint>
#include <vector>

#include "../solver/vectors.hpp"

namespace fusedopt::lbfgs {

using solver::Vectors;

class History {
 public:
  History(int m, std::int64_t n);

  void clear() {
    count_ = 0;
    gamma_ = 1.0;
  }
  bool empty() const { return count_ == 0; }

  // Where the next pair is written (s, then y); commit() keeps it.
  double* next_s() { return &s_[slot(count_) * n_]; }
  double* next_y() { return &y_[slot(count_) * n_]; }
  // Keeps the pair just written if its curvature y's > eps * y'y (otherwise
  // the inverse Hessian would not stay positive definite). Returns whether kept.
  bool commit(const Vectors& v);
  // The same with torch.optim.LBFGS's rule: kept if y's > min_sy.
  bool commit_if_above(const Vectors& v, double min_sy);

  // d = -H g, with H0 = (s'y / y'y) I from the newest pair (d = -g if empty).
  void direction(const double* g, double* d, const Vectors& v);

 private:
  // m + 1 slots: the next pair is written into a free one, so a pair that
  // commit() rejects never overwrites a kept one.
  std::int64_t slot(std::int64_t k) const { return (start_ + k) % (m_ + 1); }
  void keep(double sy, double yy);

  std::int64_t m_, n_;
  std::vector<double> s_, y_;  // m + 1 rows of n, pair k at slot(k)
  std::vector<double> rho_, alpha_;
  std::int64_t start_ = 0, count_ = 0;
  double gamma_ = 1.0;
};

}  // namespace fusedopt::lbfgs
