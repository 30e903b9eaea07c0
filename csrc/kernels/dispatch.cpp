#include "fusedopt/dispatch.hpp"

#include <omp.h>

#include <atomic>
#include <stdexcept>

namespace fusedopt {
namespace {

bool cpu_has(Isa isa) noexcept {
#if defined(FUSEDOPT_HAVE_X86_ISAS)
  // __builtin_cpu_supports also checks that the OS saves the wider registers.
  __builtin_cpu_init();
  switch (isa) {
    case Isa::baseline:
      return true;
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  }
  return false;
#else
  return isa == Isa::baseline;
#endif
}

const KernelTable& table_for(Isa isa) noexcept {
  switch (isa) {
#if defined(FUSEDOPT_HAVE_X86_ISAS)
    case Isa::avx512:
      return isa_avx512::kernel_table();
    case Isa::avx2:
      return isa_avx2::kernel_table();
#endif
    default:
      return isa_baseline::kernel_table();
  }
}

const VectorKernels& vectors_for(Isa isa) noexcept {
  switch (isa) {
#if defined(FUSEDOPT_HAVE_X86_ISAS)
    case Isa::avx512:
      return isa_avx512::vector_kernels();
    case Isa::avx2:
      return isa_avx2::vector_kernels();
#endif
    default:
      return isa_baseline::vector_kernels();
  }
}

const RooflineKernels& rooflines_for(Isa isa) noexcept {
  switch (isa) {
#if defined(FUSEDOPT_HAVE_X86_ISAS)
    case Isa::avx512:
      return isa_avx512::roofline_kernels();
    case Isa::avx2:
      return isa_avx2::roofline_kernels();
#endif
    default:
      return isa_baseline::roofline_kernels();
  }
}

std::atomic<const KernelTable*> g_table{nullptr};
std::atomic<const VectorKernels*> g_vectors{nullptr};
std::atomic<int> g_isa{-1};
std::atomic<int> g_threads{0};

}  // namespace

const char* isa_name(Isa isa) noexcept {
  switch (isa) {
    case Isa::baseline:
      return "baseline";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "unknown";
}

Isa parse_isa(const std::string& name) {
  for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512})
    if (name == isa_name(isa)) return isa;
  throw std::invalid_argument("unknown ISA '" + name + "'; expected baseline, avx2 or avx512");
}

bool isa_compiled(Isa isa) noexcept {
#if defined(FUSEDOPT_HAVE_X86_ISAS)
  (void)isa;
  return true;
#else
  return isa == Isa::baseline;
#endif
}

bool isa_supported(Isa isa) noexcept { return isa_compiled(isa) && cpu_has(isa); }

std::vector<Isa> available_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512})
    if (isa_supported(isa)) out.push_back(isa);
  return out;
}

Isa best_isa() noexcept {
  for (Isa isa : {Isa::avx512, Isa::avx2})
    if (isa_supported(isa)) return isa;
  return Isa::baseline;
}

Isa current_isa() noexcept {
  const int isa = g_isa.load();
  return isa < 0 ? best_isa() : static_cast<Isa>(isa);
}

void set_isa(Isa isa) {
  if (!isa_supported(isa))
    throw std::invalid_argument(std::string("ISA '") + isa_name(isa) +
                                "' is not supported by this CPU or build");
  g_table.store(&table_for(isa));
  g_vectors.store(&vectors_for(isa));
  g_isa.store(static_cast<int>(isa));
}

const KernelTable& kernels() noexcept {
  const KernelTable* table = g_table.load();
  return table ? *table : table_for(best_isa());
}

const VectorKernels& vector_kernels() noexcept {
  const VectorKernels* table = g_vectors.load();
  return table ? *table : vectors_for(best_isa());
}

// Rarely called (benchmarks only): no cached pointer needed.
const RooflineKernels& roofline_kernels() noexcept { return rooflines_for(current_isa()); }

int num_threads() noexcept {
  const int n = g_threads.load();
  return n > 0 ? n : omp_get_max_threads();
}

void set_num_threads(int n) {
  if (n < 0) throw std::invalid_argument("num_threads must be >= 0");
  g_threads.store(n);
}

}  // namespace fusedopt

#include "fusedopt/threads.hpp"

namespace fusedopt {

int threads_for(std::int64_t total) noexcept {
  const std::int64_t useful = total / kMinElementsPerThread;
  const std::int64_t threads = useful < num_threads() ? useful : num_threads();
  return threads < 1 ? 1 : static_cast<int>(threads);
}

}  // namespace fusedopt
