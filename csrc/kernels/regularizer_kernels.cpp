// Regularizer value and gradient kernels, compiled once per ISA like
// optim_kernels.cpp (same rules: ISA namespace, no shared inline code).
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

struct Sums {
  double abs = 0.0, sq = 0.0;
};

// Sums in double whatever the storage type, so float32 tensors of any size
// keep their value to double precision.
template <class T>
Sums sums(const T* __restrict w, i64 n) {
  double abs = 0.0, sq = 0.0;
#pragma omp simd reduction(+ : abs, sq)
  for (i64 i = 0; i < n; ++i) {
    const double x = static_cast<double>(w[i]);
    abs += magnitude(x);
    sq += x * x;
  }
  return {abs, sq};
}

template <class T, bool Accumulate>
void grad_range(const T* __restrict w, T* __restrict out, i64 n, T l1, T two_l2) {
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const T d = l1 * sign_of(w[i]) + two_l2 * w[i];
    out[i] = Accumulate ? out[i] + d : d;
  }
}

template <class T>
void grad_typed(const RegSegment& s, const RegLaunch& launch, i64 lo, i64 hi) {
  const T* w = static_cast<const T*>(s.w) + lo;
  T* out = static_cast<T*>(s.out) + lo;
  const T l1 = static_cast<T>(launch.l1), two_l2 = static_cast<T>(2.0 * launch.l2);
  if (launch.accumulate)
    grad_range<T, true>(w, out, hi - lo, l1, two_l2);
  else
    grad_range<T, false>(w, out, hi - lo, l1, two_l2);
}

}  // namespace

// One partial sum per chunk, added in chunk order: the result depends on the
// thread count, never on timing.
double regularizer_value(const RegLaunch& launch) {
  if (launch.count == 0) return 0.0;
  Sums partial[kMaxChunks];
  const i64 chunks = parallel_chunks(launch.offsets[launch.count], launch.num_threads,
                                     [&](i64 c, i64 begin, i64 end) {
    Sums mine;
    for_each_piece(launch.offsets, launch.count, begin, end, [&](i64 s, i64 lo, i64 hi) {
      const RegSegment& seg = launch.segments[s];
      const Sums add = seg.dtype == DType::f32 ? sums(static_cast<const float*>(seg.w) + lo, hi - lo)
                                               : sums(static_cast<const double*>(seg.w) + lo, hi - lo);
      mine.abs += add.abs;
      mine.sq += add.sq;
    });
    partial[c] = mine;
  });
  Sums total;
  for (i64 c = 0; c < chunks; ++c) {
    total.abs += partial[c].abs;
    total.sq += partial[c].sq;
  }
  return launch.l1 * total.abs + launch.l2 * total.sq;
}

void regularizer_grad(const RegLaunch& launch) {
  if (launch.count == 0) return;
  parallel_segments(launch.offsets, launch.count, launch.num_threads, [&](i64 s, i64 lo, i64 hi) {
    const RegSegment& seg = launch.segments[s];
    if (seg.dtype == DType::f32)
      grad_typed<float>(seg, launch, lo, hi);
    else
      grad_typed<double>(seg, launch, lo, hi);
  });
}

}  // namespace FUSEDOPT_ISA_NS
}  // namespace fusedopt
