// The roofline pass (fusedopt/roofline_launch.hpp), compiled per ISA like the
// optimizer kernels so that it gets the same vector width they do.
#include "fusedopt/thread_pool.hpp"

#include <cstdint>
#include <utility>

#include "fusedopt/kernels.hpp"

namespace fusedopt {
namespace FUSEDOPT_ISA_NS {
namespace {

#include "parallel_split.hpp"

// One loop per (reads, writes): restrict parameters let the compiler vectorise
// without alias checks. `c` is 0 at run time (values never change, so no
// denormals or overflow however many passes), which the compiler cannot know.
template <class T, int R, int W>
void span(T* __restrict a0, T* __restrict a1, T* __restrict a2, T* __restrict a3,
          T* __restrict a4, i64 lo, i64 hi, T c) {
  static_assert(R >= 1 && R <= 5 && W >= 0 && W <= R, "pattern out of range");
#pragma omp simd
  for (i64 i = lo; i < hi; ++i) {
    T s = a0[i];
    if constexpr (R > 1) s += a1[i];
    if constexpr (R > 2) s += a2[i];
    if constexpr (R > 3) s += a3[i];
    if constexpr (R > 4) s += a4[i];
    const T d = c * s;
    if constexpr (W > 0) a0[i] += d;
    if constexpr (W > 1) a1[i] += d;
    if constexpr (W > 2) a2[i] += d;
    if constexpr (W > 3) a3[i] += d;
    if constexpr (W > 4) a4[i] += d;
  }
}

template <class T>
using SpanFn = void (*)(T*, T*, T*, T*, T*, i64, i64, T);

template <class T, int R, int... W>
constexpr void fill_row(SpanFn<T> (&row)[kMaxRooflineArrays + 1], std::integer_sequence<int, W...>) {
  ((row[W] = &span<T, R, W>), ...);
}

template <class T>
struct SpanTable {
  SpanFn<T> fn[kMaxRooflineArrays + 1][kMaxRooflineArrays + 1] = {};
  constexpr SpanTable() {
    fill_row<T, 1>(fn[1], std::make_integer_sequence<int, 2>{});
    fill_row<T, 2>(fn[2], std::make_integer_sequence<int, 3>{});
    fill_row<T, 3>(fn[3], std::make_integer_sequence<int, 4>{});
    fill_row<T, 4>(fn[4], std::make_integer_sequence<int, 5>{});
    fill_row<T, 5>(fn[5], std::make_integer_sequence<int, 6>{});
  }
};

template <class T>
void run_typed(const RooflineLaunch& launch) {
  static const SpanTable<T> table;
  const SpanFn<T> fn = table.fn[launch.reads][launch.writes];
  T* a[kMaxRooflineArrays] = {};
  for (int k = 0; k < launch.reads; ++k) a[k] = static_cast<T*>(launch.arrays[k]);
  // One call per pass: each pass starts when every chunk of the previous one
  // is done, as consecutive optimizer steps do, with the same chunks.
  for (i64 pass = 0; pass < launch.passes; ++pass)
    parallel_chunks(launch.n, launch.num_threads,
                    [&](i64, i64 lo, i64 hi) { fn(a[0], a[1], a[2], a[3], a[4], lo, hi, T(0)); });
}

void roofline(const RooflineLaunch& launch) {
  if (launch.dtype == DType::f32)
    run_typed<float>(launch);
  else
    run_typed<double>(launch);
}

}  // namespace

const RooflineKernels& roofline_kernels() noexcept {
  static const RooflineKernels table{&roofline};
  return table;
}

}  // namespace FUSEDOPT_ISA_NS
}  // namespace fusedopt
