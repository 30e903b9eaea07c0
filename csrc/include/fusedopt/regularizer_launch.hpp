#pragma once
// What the per-ISA regularizer kernels receive: R(w) = l1 * sum|w| + l2 * sum w^2
// over a list of tensors, and its gradient l1 * sign(w) + 2 * l2 * w.
#include <cstdint>

#include "fusedopt/dtype.hpp"

namespace fusedopt {

struct RegSegment {
  const void* w;
  void* out;  // gradient output (nullptr for a value)
  std::int64_t size;
  DType dtype;
};

struct RegLaunch {
  const RegSegment* segments;
  const std::int64_t* offsets;  // count + 1 prefix sums of segment sizes
  std::int64_t count;
  int num_threads;
  double l1, l2;
  bool accumulate;  // gradient: out += dR/dw instead of out = dR/dw
};

}  // namespace fusedopt
