#pragma once
// What one fused optimizer step hands to the per-ISA kernels: every tensor's
// memory and storage types, the per-tensor coefficients, and the prefix sums
// the threads use to split the concatenated work.
#include <cstdint>

#include "fusedopt/dtype.hpp"
#include "fusedopt/param_table.hpp"

namespace fusedopt {

// The storage-type combinations the kernels are compiled for, each with its
// math type.
enum class Storage : std::uint8_t {
  f32 = 0,   // parameter, gradient and state float32; math in float32
  f64 = 1,   // all float64; math in float64
  bf16 = 2,  // all bfloat16; math in float32
  f16 = 3,   // all float16; math in float32
};

// How the kernels run a tensor whose buffers have the given types.
struct StoragePlan {
  Storage storage;
  // Buffers of mixed types (any of float32, bfloat16, float16): the float32
  // kernel runs on tiles, each buffer that is not float32 converted into a
  // float32 tile before and (if written) back after, while the tile is in L1.
  bool mixed;
};

// The plan for a parameter of type `param` with a gradient of type `grad`
// and the `count` state buffers it uses of types `states`; false when the
// kernels have none (float64 mixed with another type). A tensor without a
// plan is refused before any memory is touched.
bool storage_for(DType param, DType grad, const DType* states, int count, StoragePlan* out) noexcept;

// One tensor's share of a step. state[k] is the optimizer's k-th buffer
// (nullptr when the options do not use it).
struct Segment {
  void* param;
  const void* grad;
  void* state[kMaxStates];
  std::int64_t size;
  StoragePlan plan;
  // Each buffer's own type (read when plan.mixed).
  DType param_dtype;
  DType grad_dtype;
  DType state_dtype[kMaxStates];
};

template <class Coeffs>
struct StepLaunch {
  const Segment* segments;
  const Coeffs* coeffs;         // one per segment
  const std::int64_t* offsets;  // count + 1 prefix sums of the segment sizes, each rounded
                                // up to a multiple of `block`
  std::int64_t count;
  int num_threads;
  std::int64_t block;           // chunk boundaries fall on multiples of it in every segment
};

}  // namespace fusedopt
