#pragma once
// bfloat16 and float16 <-> float32 on the bits, written with integer and
// select operations only, so the compiler vectorises loops that use them on
// every ISA (GCC does not vectorise _Float16 conversions, and the baseline
// build has no F16C). Include only inside a namespace: the per-ISA kernel
// builds each get their own internal copy (see parallel_split.hpp), the
// non-kernel code (param_table.cpp) its own.
//
// Rounding is to nearest, ties to even, as torch's and ml_dtypes'/NumPy's
// conversions: the kernels and the NumPy reference round identically.
// Overflow rounds to inf; subnormals are kept (no flush to zero); a NaN stays
// a quiet NaN with its sign.

struct bf16 {
  std::uint16_t bits;
};
struct f16 {
  std::uint16_t bits;
};

inline float float_from_bits(std::uint32_t u) { return __builtin_bit_cast(float, u); }
inline std::uint32_t bits_of(float x) { return __builtin_bit_cast(std::uint32_t, x); }

// bfloat16 is float32's upper half.
inline float to_float(bf16 x) { return float_from_bits(static_cast<std::uint32_t>(x.bits) << 16); }

inline bf16 to_bf16(float x) {
  const std::uint32_t u = bits_of(x);
  const std::uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  const std::uint32_t quiet_nan = (u >> 16) | 0x40u;
  return bf16{static_cast<std::uint16_t>(x != x ? quiet_nan : rounded)};
}

// float16 -> float32 is exact: the exponent is re-biased by a multiplication
// with 2^112, which also turns float16 subnormals into float32 normals;
// inf and NaN (exponent all ones) keep an all-ones exponent.
inline float to_float(f16 x) {
  const std::uint32_t h = x.bits;
  const std::uint32_t sign = (h & 0x8000u) << 16;
  const std::uint32_t rest = (h & 0x7FFFu) << 13;
  const float scaled = float_from_bits(rest) * float_from_bits(0x77800000u);  // * 2^112
  const std::uint32_t magnitude = rest >= (0x7C00u << 13) ? (rest | 0x7F800000u) : bits_of(scaled);
  return float_from_bits(magnitude | sign);
}

// float32 -> float16, round to nearest even. Three cases, all computed and one
// selected (branch-free): overflow/inf/NaN, results below float16's smallest
// normal (rounded by a float addition that aligns the bits), and normals
// (rounded on the integer bits; a carry into the exponent rounds up to the
// next binade or to inf, as it should).
inline f16 to_f16(float x) {
  const std::uint32_t u = bits_of(x);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t a = u & 0x7FFFFFFFu;
  const std::uint32_t big = a > 0x7F800000u ? 0x7E00u : 0x7C00u;  // NaN -> quiet NaN, else inf
  // 0.5 in float16's subnormal spacing: adding it leaves the rounded
  // subnormal mantissa in the low bits.
  constexpr std::uint32_t kDenormMagic = ((127 - 15) + (23 - 10) + 1) << 23;
  const std::uint32_t small =
      bits_of(float_from_bits(a) + float_from_bits(kDenormMagic)) - kDenormMagic;
  const std::uint32_t odd = (a >> 13) & 1u;
  const std::uint32_t normal = (a + (static_cast<std::uint32_t>(15 - 127) << 23) + 0xFFFu + odd) >> 13;
  const std::uint32_t magnitude =
      a >= (static_cast<std::uint32_t>(127 + 16) << 23) ? big : (a < (113u << 23) ? small : normal);
  return f16{static_cast<std::uint16_t>(magnitude | sign)};
}
