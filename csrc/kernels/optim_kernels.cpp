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

#include "fusedopt/kernels.hpp"

#ifndef FUSEDOPT_ISA_NS
#error "compile with -DFUSEDOPT_ISA_NS=<namespace>"
#endif

namespace fusedopt {
namespace FUSEDOPT_ISA_NS {
namespace {

#include "parallel_split.hpp"
#include "optimizers/all.hpp"

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
        if (lo < hi) segment_step<Opt>(segment, launch.coeffs[s], lo, hi);
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
