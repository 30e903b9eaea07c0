#pragma once
// What one fused optimizer step hands to the per-ISA kernels: every tensor's
// memory and storage types, the per-tensor coefficients, and the prefix sums
// the threads use to split the concatenated work.
#include <cstdint>

#include "fusedopt/dtype.hpp"
#include "fusedopt/param_table.hpp"

namespace fusedopt {

// The storage-type combinations the kernels are compiled for, each with its
// math type. A tensor whose buffers form no combination here is refused
// before any memory is touched (storage_for).
enum class Storage : std::uint8_t {
  f32 = 0,  // parameter, gradient and state float32; math in float32
  f64 = 1,  // all float64; math in float64
};

// The combination for a parameter of type `param` with a gradient of type
// `grad` and the `count` state buffers it uses of types `states`; false when
// the kernels have none for them.
bool storage_for(DType param, DType grad, const DType* states, int count, Storage* out) noexcept;

// One tensor's share of a step. state[k] is the optimizer's k-th buffer
// (nullptr when the options do not use it).
struct Segment {
  void* param;
  const void* grad;
  void* state[kMaxStates];
  std::int64_t size;
  Storage storage;
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
