#pragma once
// Runtime choice of the kernel build and of the thread count.
#include <string>
#include <vector>

#include "fusedopt/kernels.hpp"

namespace fusedopt {

enum class Isa { baseline = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa) noexcept;
// Throws std::invalid_argument for an unknown name.
Isa parse_isa(const std::string& name);

bool isa_compiled(Isa isa) noexcept;   // built into this binary
bool isa_supported(Isa isa) noexcept;  // compiled and the CPU/OS can run it
std::vector<Isa> available_isas();     // supported, lowest first
Isa best_isa() noexcept;

Isa current_isa() noexcept;
// Throws std::invalid_argument when the ISA cannot run here.
void set_isa(Isa isa);
const KernelTable& kernels() noexcept;
const VectorKernels& vector_kernels() noexcept;
const RooflineKernels& roofline_kernels() noexcept;

// Threads for one step: set_num_threads(n > 0) overrides OpenMP's default
// (OMP_NUM_THREADS or the core count); n = 0 returns to that default.
int num_threads() noexcept;
void set_num_threads(int n);

}  // namespace fusedopt
