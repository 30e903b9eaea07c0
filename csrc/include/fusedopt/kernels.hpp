#pragma once
// The kernel table each ISA build exports. The kernel sources in csrc/kernels/
// (optim_kernels.cpp, regularizer_kernels.cpp) are compiled once per ISA into
// its own namespace (isa_baseline, isa_avx2, isa_avx512) so that the builds
// never share a symbol.
#include <cstdint>

#include "fusedopt/optimizers.hpp"
#include "fusedopt/regularizer_launch.hpp"
#include "fusedopt/roofline_launch.hpp"
#include "fusedopt/step_launch.hpp"

namespace fusedopt {

// One step kernel per declared optimizer (step_Sgd, step_Adam, ...), then the
// regularizer's.
struct KernelTable {
#define FUSEDOPT_STEP_KERNEL(Opt) void (*step_##Opt)(const StepLaunch<Opt::Coeffs>&);
  FUSEDOPT_OPTIMIZERS(FUSEDOPT_STEP_KERNEL)
#undef FUSEDOPT_STEP_KERNEL
  double (*regularizer_value)(const RegLaunch&);
  void (*regularizer_grad)(const RegLaunch&);
};

// StepSlot<Opt>::kernel: Opt's member of KernelTable.
template <class Opt>
struct StepSlot;
#define FUSEDOPT_STEP_SLOT(Opt)                             \
  template <>                                               \
  struct StepSlot<Opt> {                                    \
    static constexpr auto kernel = &KernelTable::step_##Opt; \
  };
FUSEDOPT_OPTIMIZERS(FUSEDOPT_STEP_SLOT)
#undef FUSEDOPT_STEP_SLOT

// float64 vector operations of the quasi-Newton solvers (csrc/lbfgs/). The
// last argument is the number of threads (1 for small vectors).
struct VectorKernels {
  double (*dot)(const double* a, const double* b, std::int64_t n, int threads);
  double (*abs_sum)(const double* a, std::int64_t n, int threads);
  double (*abs_max)(const double* a, std::int64_t n, int threads);
  void (*axpy)(double alpha, const double* x, double* y, std::int64_t n, int threads);
  // y += alpha * x; returns z . y (the updated y)
  double (*axpy_dot)(double alpha, const double* x, double* y, const double* z, std::int64_t n,
                     int threads);
  void (*scale)(double alpha, double* x, std::int64_t n, int threads);
  void (*xpay)(double* w, const double* x, double alpha, const double* d, std::int64_t n,
               int threads);
  void (*diff)(double* w, const double* a, const double* b, std::int64_t n, int threads);
};

// The bandwidth reference of `fusedopt bench` (roofline_launch.hpp).
struct RooflineKernels {
  void (*run)(const RooflineLaunch&);
};

namespace isa_baseline {
const KernelTable& kernel_table() noexcept;
const VectorKernels& vector_kernels() noexcept;
const RooflineKernels& roofline_kernels() noexcept;
}  // namespace isa_baseline
#if defined(FUSEDOPT_HAVE_X86_ISAS)
namespace isa_avx2 {
const KernelTable& kernel_table() noexcept;
const VectorKernels& vector_kernels() noexcept;
const RooflineKernels& roofline_kernels() noexcept;
}  // namespace isa_avx2
namespace isa_avx512 {
const KernelTable& kernel_table() noexcept;
const VectorKernels& vector_kernels() noexcept;
const RooflineKernels& roofline_kernels() noexcept;
}  // namespace isa_avx512
#endif

}  // namespace fusedopt
