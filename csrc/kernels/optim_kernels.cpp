// Fused optimizer kernels. This one source is compiled once per ISA with
// FUSEDOPT_ISA_NS naming the namespace (isa_baseline, isa_avx2, isa_avx512)
// and that ISA's flags; the compiler vectorises the plain loops of each
// optimizer's kernel (csrc/kernels/optimizers/).
//
// Everything here has internal linkage or lives in the ISA namespace, and no
// standard-library template is instantiated: an inline function emitted by two
// ISA builds would be merged by the linker, and the baseline build could end
// up calling an AVX-512 copy.
#include "fusedopt/thread_pool.hpp"

#include <cstdint>
#include <cstdlib>

#include "fusedopt/kernels.hpp"

#ifndef FUSEDOPT_ISA_NS
#error "compile with -DFUSEDOPT_ISA_NS=<namespace>"
#endif

namespace fusedopt {
namespace FUSEDOPT_ISA_NS {
namespace {

#include "parallel_split.hpp"
#include "half_bits.hpp"
#include "optimizers/all.hpp"

// Elements per tile of a tensor whose buffers have mixed types: a tile of
// every buffer (8 KiB in all) stays in L1 between conversion and kernel.
constexpr i64 kTile = 256;

// n elements of a buffer of type `dtype` from element lo on, as float32: the
// buffer itself when it is float32, else converted into `tile`.
const float* as_float32(const void* data, DType dtype, i64 lo, i64 n, float* tile) {
  switch (dtype) {
    case DType::f32:
      return static_cast<const float*>(data) + lo;
    case DType::bf16: {
      const bf16* in = static_cast<const bf16*>(data) + lo;
#pragma omp simd
      for (i64 i = 0; i < n; ++i) tile[i] = load<float>(in, i);
      return tile;
    }
    case DType::f16: {
      const f16* in = static_cast<const f16*>(data) + lo;
#pragma omp simd
      for (i64 i = 0; i < n; ++i) tile[i] = load<float>(in, i);
      return tile;
    }
    case DType::f64:
      break;  // storage_for never mixes float64
  }
  std::abort();
}

// Writes a tile back to a buffer of type `dtype` (nothing to do for float32:
// the kernel wrote the buffer itself).
void from_float32(const float* tile, DType dtype, void* data, i64 lo, i64 n) {
  switch (dtype) {
    case DType::f32:
      return;
    case DType::bf16: {
      bf16* out = static_cast<bf16*>(data) + lo;
#pragma omp simd
      for (i64 i = 0; i < n; ++i) store(out, i, tile[i]);
      return;
    }
    case DType::f16: {
      f16* out = static_cast<f16*>(data) + lo;
#pragma omp simd
      for (i64 i = 0; i < n; ++i) store(out, i, tile[i]);
      return;
    }
    case DType::f64:
      break;
  }
  std::abort();
}

// Elements [lo, hi) of a tensor whose buffers have mixed types: the float32
// kernel, tile by tile, on float32 views of its buffers.
template <class Opt>
void mixed_segment_step(const Segment& s, const typename Opt::Coeffs& c, i64 lo, i64 hi) {
  alignas(64) float param_tile[kTile], grad_tile[kTile], state_tiles[kMaxStates][kTile];
  Segment view = s;
  view.plan = {Storage::f32, false};
  for (i64 t = lo; t < hi; t += kTile) {
    const i64 n = hi - t < kTile ? hi - t : kTile;
    // The kernel writes through these: a const view of a float32 buffer
    // is the caller's non-const memory.
    view.param = const_cast<float*>(as_float32(s.param, s.param_dtype, t, n, param_tile));
    view.grad = as_float32(s.grad, s.grad_dtype, t, n, grad_tile);
    for (int k = 0; k < Opt::kStates; ++k)
      if (s.state[k])
        view.state[k] = const_cast<float*>(as_float32(s.state[k], s.state_dtype[k], t, n, state_tiles[k]));
    segment_step<Opt>(view, c, 0, n);
    from_float32(static_cast<const float*>(view.param), s.param_dtype, s.param, t, n);
    for (int k = 0; k < Opt::kStates; ++k)
      if (s.state[k]) from_float32(static_cast<const float*>(view.state[k]), s.state_dtype[k], s.state[k], t, n);
  }
}

// One parallel region over every tensor of the step. Segments are padded to
// multiples of launch.block in the offsets (so chunk boundaries keep blocks
// whole); the padding is skipped here.
template <class Opt>
void step(const StepLaunch<typename Opt::Coeffs>& launch) {
  if (launch.count == 0) return;
  parallel_segments(
      launch.offsets, launch.count, launch.num_threads,
      [&](i64 s, i64 lo, i64 hi) {
        const Segment& segment = launch.segments[s];
        if (hi > segment.size) hi = segment.size;
        if (lo >= hi) return;
        if (segment.plan.mixed)
          mixed_segment_step<Opt>(segment, launch.coeffs[s], lo, hi);
        else
          segment_step<Opt>(segment, launch.coeffs[s], lo, hi);
      },
      launch.block);
}

}  // namespace

// Defined in regularizer_kernels.cpp (same ISA namespace).
double regularizer_value(const RegLaunch& launch);
void regularizer_grad(const RegLaunch& launch);

const KernelTable& kernel_table() noexcept {
#define FUSEDOPT_STEP_ENTRY(Opt) &step<Opt>,
  static const KernelTable table{FUSEDOPT_OPTIMIZERS(FUSEDOPT_STEP_ENTRY) & regularizer_value,
                                 &regularizer_grad};
#undef FUSEDOPT_STEP_ENTRY
  return table;
}

}  // namespace FUSEDOPT_ISA_NS
}  // namespace fusedopt
