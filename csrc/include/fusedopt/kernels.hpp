#pragma once
// The kernel table each ISA build exports. The kernel sources in csrc/kernels/
// (optim_kernels.cpp, regularizer_kernels.cpp) are compiled once per ISA into
// its own namespace (isa_baseline, isa_avx2, isa_avx512) so that the builds
// never share a symbol.
#include "fusedopt/regularizer_launch.hpp"
#include "fusedopt/step_launch.hpp"

namespace fusedopt {

struct KernelTable {
  void (*sgd)(const SgdLaunch&);
  void (*rmsprop)(const RmspropLaunch&);
  void (*adam)(const AdamLaunch&);
  double (*regularizer_value)(const RegLaunch&);
  void (*regularizer_grad)(const RegLaunch&);
};

namespace isa_baseline {
const KernelTable& kernel_table() noexcept;
}
#if defined(FUSEDOPT_HAVE_X86_ISAS)
namespace isa_avx2 {
const KernelTable& kernel_table() noexcept;
}
namespace isa_avx512 {
const KernelTable& kernel_table() noexcept;
}
#endif

}  // namespace fusedopt
