#include "history.hpp"

#include <algorithm>
#include <limits>

namespace fusedopt::lbfgs {

History::History(int m, std::int64_t n)
    : m_(m), n_(n), s_(static_cast<std::size_t>(m * n)), y_(s_.size()), rho_(m), alpha_(m) {}

bool History::commit(const Vectors& v) {
  const double* s = next_s();
  const double* y = next_y();
  const double sy = v.dot(s, y);
  const double yy = v.dot(y, y);
  if (!(sy > std::numeric_limits<double>::epsilon() * yy)) return false;
  const std::int64_t k = slot(count_);
  rho_[k] = 1.0 / sy;
  gamma_ = sy / yy;
  if (count_ < m_)
    ++count_;
  else
    start_ = (start_ + 1) % m_;
  return true;
}

void History::direction(const double* g, double* d, const Vectors& v) {
  std::copy(g, g + n_, d);
  for (std::int64_t k = count_ - 1; k >= 0; --k) {  // newest to oldest
    const std::int64_t i = slot(k);
    alpha_[i] = rho_[i] * v.dot(&s_[i * n_], d);
    v.axpy(-alpha_[i], &y_[i * n_], d);
  }
  v.scale(-gamma_, d);  // negated here, so the second loop builds -H g directly
  for (std::int64_t k = 0; k < count_; ++k) {  // oldest to newest
    const std::int64_t i = slot(k);
    const double beta = rho_[i] * v.dot(&y_[i * n_], d);  // of -r, so -beta
    v.axpy(-alpha_[i] - beta, &s_[i * n_], d);
  }
}

}  // namespace fusedopt::lbfgs
