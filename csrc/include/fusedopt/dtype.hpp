#pragma once
// Storage types of the buffers a fused step reads and writes. Each buffer
// (parameter, gradient, each state) carries its own; the math type is chosen
// per kernel from them (storage_combo.hpp). Every switch over DType lists every
// value and has no default, so -Wswitch names each place a new type must reach.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace fusedopt {

enum class DType : std::uint8_t { f32 = 0, f64 = 1, bf16 = 2, f16 = 3 };

constexpr std::size_t dtype_size(DType dtype) noexcept {
  switch (dtype) {
    case DType::f32:
      return 4;
    case DType::f64:
      return 8;
    case DType::bf16:
    case DType::f16:
      return 2;
  }
  std::abort();  // not a DType value: memory was corrupted
}

constexpr const char* dtype_name(DType dtype) noexcept {
  switch (dtype) {
    case DType::f32:
      return "float32";
    case DType::f64:
      return "float64";
    case DType::bf16:
      return "bfloat16";
    case DType::f16:
      return "float16";
  }
  std::abort();
}

}  // namespace fusedopt
