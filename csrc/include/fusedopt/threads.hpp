#pragma once
// How many threads one fused call uses for `total` elements.
#include <cstdint>

namespace fusedopt {

// Below this many elements per thread, waking another thread costs more than
// it saves (fp32 AdamW moves 28 bytes per element).
inline constexpr std::int64_t kMinElementsPerThread = 1 << 15;

// min(num_threads(), total / kMinElementsPerThread), at least 1.
int threads_for(std::int64_t total) noexcept;

}  // namespace fusedopt
