#pragma once
// A STREAM-like pass with an optimizer's memory access pattern, the "roofline"
// that `fusedopt bench` measures a step against: `reads` arrays of `n`
// elements are read and the first `writes` of them written back in place, so
// one pass moves (reads + writes) * n * sizeof(T) bytes, as a step with the
// same pattern does (fp32 AdamW reads p, g, m, v and writes p, m, v: 28 B per
// parameter). In place, like the optimizers, so no write-allocate traffic.
#include <cstdint>

#include "fusedopt/dtype.hpp"

namespace fusedopt {

inline constexpr int kMaxRooflineArrays = 5;

struct RooflineLaunch {
  void* const* arrays;  // `reads` pointers to n elements of `dtype`
  int reads;            // 1 .. kMaxRooflineArrays
  int writes;           // 0 .. reads
  std::int64_t n;
  DType dtype;
  int num_threads;
  std::int64_t passes;  // run back to back in one parallel region
};

}  // namespace fusedopt
