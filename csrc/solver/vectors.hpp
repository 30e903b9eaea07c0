#pragma once
// The active ISA's float64 vector kernels the solvers run on, bound to one vector length and the
// thread count chosen for it (one thread below a few tens of thousands).
#include <cstdint>

#include "fusedopt/dispatch.hpp"
#include "fusedopt/threads.hpp"

namespace fusedopt::solver {

class Vectors {
 public:
  explicit Vectors(std::int64_t n)
      : k_(vector_kernels()), n_(n), threads_(threads_for(n)) {}

  std::int64_t size() const { return n_; }
  double dot(const double* a, const double* b) const { return k_.dot(a, b, n_, threads_); }
  double abs_sum(const double* a) const { return k_.abs_sum(a, n_, threads_); }
  double abs_max(const double* a) const { return k_.abs_max(a, n_, threads_); }
  void axpy(double alpha, const double* x, double* y) const { k_.axpy(alpha, x, y, n_, threads_); }
  // y += alpha * x; returns z . y
  double axpy_dot(double alpha, const double* x, double* y, const double* z) const {
    return k_.axpy_dot(alpha, x, y, z, n_, threads_);
  }
  void scale(double alpha, double* x) const { k_.scale(alpha, x, n_, threads_); }
  // w = x + alpha * d
  void xpay(double* w, const double* x, double alpha, const double* d) const {
    k_.xpay(w, x, alpha, d, n_, threads_);
  }
  // w = a - b
  void diff(double* w, const double* a, const double* b) const { k_.diff(w, a, b, n_, threads_); }

 private:
  const VectorKernels& k_;
  std::int64_t n_;
  int threads_;
};

}  // namespace fusedopt::solver
