// Vector operations of the quasi-Newton solvers (float64), compiled once per
// ISA like optim_kernels.cpp (same rules: ISA namespace, no shared inline
// code). Large vectors are split across threads with the same static split as
// the optimizer steps, so every reduction's order depends on the thread count
// only.
#include <omp.h>

#include <cstdint>

#include "fusedopt/kernels.hpp"

#ifndef FUSEDOPT_ISA_NS
#error "compile with -DFUSEDOPT_ISA_NS=<namespace>"
#endif

namespace fusedopt {
namespace FUSEDOPT_ISA_NS {
namespace {

#include "parallel_split.hpp"

constexpr int kMaxThreads = 64;

// Runs body(lo, hi) over thread t's share of [0, n) in one parallel region.
template <class Body>
void elementwise(i64 n, int threads, Body&& body) {
  const i64 offsets[2] = {0, n};
  parallel_region(threads, [&](int t, int nt) {
    for_each_share(offsets, 1, t, nt, [&](i64, i64 lo, i64 hi) { body(lo, hi); });
  });
}

// Sum over threads of body(lo, hi), added in thread order.
template <class Body>
double reduce_sum(i64 n, int threads, Body&& body) {
  if (threads > kMaxThreads) threads = kMaxThreads;
  double partial[kMaxThreads] = {};
  const i64 offsets[2] = {0, n};
  parallel_region(threads, [&](int t, int nt) {
    for_each_share(offsets, 1, t, nt, [&](i64, i64 lo, i64 hi) { partial[t] = body(lo, hi); });
  });
  double total = 0.0;
  for (int t = 0; t < threads; ++t) total += partial[t];
  return total;
}

double dot(const double* a, const double* b, i64 n, int threads) {
  return reduce_sum(n, threads, [&](i64 lo, i64 hi) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (i64 i = lo; i < hi; ++i) s += a[i] * b[i];
    return s;
  });
}

double abs_sum(const double* a, i64 n, int threads) {
  return reduce_sum(n, threads, [&](i64 lo, i64 hi) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (i64 i = lo; i < hi; ++i) s += magnitude(a[i]);
    return s;
  });
}

// max |a_i|; NaN anywhere gives NaN, so a broken gradient never looks converged.
double abs_max(const double* a, i64 n, int threads) {
  if (threads > kMaxThreads) threads = kMaxThreads;
  double partial[kMaxThreads] = {};
  const i64 offsets[2] = {0, n};
  parallel_region(threads, [&](int t, int nt) {
    double m = 0.0;
    for_each_share(offsets, 1, t, nt, [&](i64, i64 lo, i64 hi) {
      for (i64 i = lo; i < hi; ++i) {
        const double v = magnitude(a[i]);
        m = (v > m || v != v) ? v : m;
      }
    });
    partial[t] = m;
  });
  double m = 0.0;
  for (int t = 0; t < threads; ++t) m = (partial[t] > m || partial[t] != partial[t]) ? partial[t] : m;
  return m;
}

// y += alpha * x
void axpy(double alpha, const double* __restrict x, double* __restrict y, i64 n, int threads) {
  elementwise(n, threads, [&](i64 lo, i64 hi) {
#pragma omp simd
    for (i64 i = lo; i < hi; ++i) y[i] += alpha * x[i];
  });
}

// x *= alpha
void scale(double alpha, double* x, i64 n, int threads) {
  elementwise(n, threads, [&](i64 lo, i64 hi) {
#pragma omp simd
    for (i64 i = lo; i < hi; ++i) x[i] *= alpha;
  });
}

// w = x + alpha * d
void xpay(double* __restrict w, const double* __restrict x, double alpha,
          const double* __restrict d, i64 n, int threads) {
  elementwise(n, threads, [&](i64 lo, i64 hi) {
#pragma omp simd
    for (i64 i = lo; i < hi; ++i) w[i] = x[i] + alpha * d[i];
  });
}

// w = a - b
void diff(double* __restrict w, const double* __restrict a, const double* __restrict b, i64 n,
          int threads) {
  elementwise(n, threads, [&](i64 lo, i64 hi) {
#pragma omp simd
    for (i64 i = lo; i < hi; ++i) w[i] = a[i] - b[i];
  });
}

}  // namespace

const VectorKernels& vector_kernels() noexcept {
  static const VectorKernels table{&dot, &abs_sum, &abs_max, &axpy, &scale, &xpay, &diff};
  return table;
}

}  // namespace FUSEDOPT_ISA_NS
}  // namespace fusedopt
