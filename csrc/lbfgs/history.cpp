#include "history.hpp"

#include <algorithm>
#include <limits>

namespace fusedopt::lbfgs {

History::History(int m, std::int64_t n)
    : m_(m),
      n_(n),
      s_(static_cast<std::size_t>((m + 1) * n)),
      y_(s_.size()),
      rho_(static_cast<std::size_t>(m + 1)),
      alpha_(rho_.size()) {}

bool History::commit(const Vectors& v) {
  const double sy = v.dot(next_s(), next_y());
  const double yy = v.dot(next_y(), next_y());
  if (!(sy > std::numeric_limits<double>::epsilon() * yy)) return false;
  keep(sy, yy);
  return true;
}

bool History::commit_if_above(const Vectors& v, double min_sy) {
  const double sy = v.dot(next_s(), next_y());
  if (!(sy > min_sy)) return false;
  keep(sy, v.dot(next_y(), next_y()));
  return true;
}

void History::keep(double sy, double yy) {
  rho_[slot(count_)] = 1.0 / sy;
  gamma_ = sy / yy;
  if (count_ < m_)
    ++count_;
  else
    start_ = (start_ + 1) % (m_ + 1);  // the oldest pair goes
}

void History::direction(const double* g, double* d, const Vectors& v) {
  std::copy(g, g + n_, d);
  if (count_ == 0) {
    v.scale(-1.0, d);
    return;
  }
  // First loop, newest to oldest: alpha_k = rho_k s_k'q; q -= alpha_k y_k. Each
  // update is fused with the next pair's dot product.
  std::int64_t k = count_ - 1;
  double s_dot_q = v.dot(&s_[slot(k) * n_], d);
  for (;; --k) {
    const std::int64_t i = slot(k);
    alpha_[i] = rho_[i] * s_dot_q;
    if (k == 0) {
      v.axpy(-alpha_[i], &y_[i * n_], d);
      break;
    }
    s_dot_q = v.axpy_dot(-alpha_[i], &y_[i * n_], d, &s_[slot(k - 1) * n_]);
  }
  // Scaled by -H0 = -(s'y / y'y), so the second loop builds -H g directly:
  // with d = -r, beta_k = rho_k y_k'r = -rho_k y_k'd and r += (alpha_k - beta_k) s_k.
  v.scale(-gamma_, d);
  double y_dot_d = v.dot(&y_[slot(0) * n_], d);
  for (k = 0;; ++k) {
    const std::int64_t i = slot(k);
    const double beta = -rho_[i] * y_dot_d;
    if (k == count_ - 1) {
      v.axpy(beta - alpha_[i], &s_[i * n_], d);
      break;
    }
    y_dot_d = v.axpy_dot(beta - alpha_[i], &s_[i * n_], d, &y_[slot(k + 1) * n_]);
  }
}

}  // namespace fusedopt::lbfgs
