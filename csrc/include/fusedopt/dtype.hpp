#pragma once
// Element types a fused step can store. The math type is chosen per kernel,
// separately from storage, so low-precision storage can join later.
#include <cstdint>

namespace fusedopt {

enum class DType : std::uint8_t { f32 = 0, f64 = 1 };

}  // namespace fusedopt
