// Vector operations of the quasi-Newton solvers (float64), compiled once per
// ISA like optim_kernels.cpp (same rules: ISA namespace, no shared inline
// code). Large vectors are cut into the same chunks as the optimizer steps, so
// every reduction's order depends on the thread count only.
#include "fusedopt/thread_pool.hpp"

#include <cstdint>

#include "fusedopt/kernels.hpp"

#ifndef FUSEDOPT_ISA_NS
#error "compile with -DFUSEDOPT_ISA_NS=<namespace>"
#endif

namespace fusedopt {
namespace FUSEDOPT_ISA_NS {
namespace {

#include "parallel_split.hpp"

// Runs body(lo, hi) over the chunks of [0, n) in one parallel region.
template <class Body>
void elementwise(i64 n, int threads, Body&& body) {
  parallel_chunks(n, threads, [&](i64, i64 lo, i64 hi) { body(lo, hi); });
}

// Sum of body(lo, hi) over the chunks of [0, n), added in chunk order.
template <class Body>
double reduce_sum(i64 n, int threads, Body&& body) {
  double partial[kMaxChunks];
  const i64 chunks = parallel_chunks(n, threads, [&](i64 c, i64 lo, i64 hi) { partial[c] = body(lo, hi); });
  double total = 0.0;
  for (i64 c = 0; c < chunks; ++c) total += partial[c];
  return total;
}

// Sum of term(i) over [lo, hi) with 32 independent accumulators: a single
// running sum is bound by the add latency (one vector per ~4 cycles), which
// dominates the solvers' per-iteration cost at n ~ 1000. The order of the
// additions is fixed, so the result is deterministic.
template <class Term>
double blocked_sum(i64 lo, i64 hi, Term&& term) {
  constexpr int kLanes = 32;
  double acc[kLanes] = {};
  i64 i = lo;
  for (; i + kLanes <= hi; i += kLanes) {
#pragma omp simd
    for (int j = 0; j < kLanes; ++j) acc[j] += term(i + j);
  }
  double s = 0.0;
  for (; i < hi; ++i) s += term(i);
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

double dot(const double* a, const double* b, i64 n, int threads) {
  return reduce_sum(n, threads, [&](i64 lo, i64 hi) {
    return blocked_sum(lo, hi, [a, b](i64 i) { return a[i] * b[i]; });
  });
}

double abs_sum(const double* a, i64 n, int threads) {
  return reduce_sum(n, threads, [&](i64 lo, i64 hi) {
    return blocked_sum(lo, hi, [a](i64 i) { return magnitude(a[i]); });
  });
}

// y += alpha * x, then returns z . y: one pass where the two-loop recursion
// would make two.
double axpy_dot(double alpha, const double* __restrict x, double* __restrict y,
                const double* __restrict z, i64 n, int threads) {
  return reduce_sum(n, threads, [&](i64 lo, i64 hi) {
    // Captured by value: a reference to alpha would be reloaded after every store to y.
    return blocked_sum(lo, hi, [alpha, x, y, z](i64 i) {
      const double v = y[i] + alpha * x[i];
      y[i] = v;
      return z[i] * v;
    });
  });
}

// max |a_i|; NaN anywhere gives NaN, so a broken gradient never looks converged.
// Vectorised as a max reduction plus a separate count of NaNs.
double abs_max(const double* a, i64 n, int threads) {
  double partial[kMaxChunks];
  const i64 chunks = parallel_chunks(n, threads, [a, &partial](i64 c, i64 lo, i64 hi) {
    const double* __restrict p = a + lo;
    const i64 len = hi - lo;
    double m = 0.0, nans = 0.0;
#pragma omp simd reduction(max : m) reduction(+ : nans)
    for (i64 i = 0; i < len; ++i) {
      const double v = magnitude(p[i]);
      m = v > m ? v : m;
      nans += v != v ? 1.0 : 0.0;
    }
    partial[c] = nans > 0.0 ? __builtin_nan("") : m;
  });
  double m = 0.0;
  for (i64 c = 0; c < chunks; ++c) m = (partial[c] > m || partial[c] != partial[c]) ? partial[c] : m;
  return m;
}

// y += alpha * x
void axpy(double alpha, const double* __restrict x, double* __restrict y, i64 n, int threads) {
  elementwise(n, threads, [alpha, x, y](i64 lo, i64 hi) {
#pragma omp simd
    for (i64 i = lo; i < hi; ++i) y[i] += alpha * x[i];
  });
}

// x *= alpha
void scale(double alpha, double* x, i64 n, int threads) {
  elementwise(n, threads, [alpha, x](i64 lo, i64 hi) {
#pragma omp simd
    for (i64 i = lo; i < hi; ++i) x[i] *= alpha;
  });
}

// w = x + alpha * d
void xpay(double* __restrict w, const double* __restrict x, double alpha,
          const double* __restrict d, i64 n, int threads) {
  elementwise(n, threads, [w, x, alpha, d](i64 lo, i64 hi) {
#pragma omp simd
    for (i64 i = lo; i < hi; ++i) w[i] = x[i] + alpha * d[i];
  });
}

// w = a - b
void diff(double* __restrict w, const double* __restrict a, const double* __restrict b, i64 n,
          int threads) {
  elementwise(n, threads, [w, a, b](i64 lo, i64 hi) {
#pragma omp simd
    for (i64 i = lo; i < hi; ++i) w[i] = a[i] - b[i];
  });
}

}  // namespace

const VectorKernels& vector_kernels() noexcept {
  static const VectorKernels table{&dot,   &abs_sum, &abs_max, &axpy,
                                   &axpy_dot, &scale, &xpay,    &diff};
  return table;
}

}  // namespace FUSEDOPT_ISA_NS
}  // namespace fusedopt
