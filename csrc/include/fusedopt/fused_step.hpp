#pragma once
// One optimizer step over every parameter of a ParamTable, for any declared
// optimizer (fusedopt/optimizer.hpp): per-tensor coefficients, state
// allocation, and a single call into the active ISA's kernel.
#include <cstdint>

#include "fusedopt/optimizers.hpp"
#include "fusedopt/param_table.hpp"

namespace fusedopt {

// A parameter's gradient for one step: its memory (the parameter's size, no
// overlap with any parameter or state) and storage type; data == nullptr
// skips the parameter, its state and its step count.
struct GradRef {
  const void* data;
  DType dtype;
};

// hypers[g] are group g's options. Everything is checked and every buffer
// allocated before a parameter or a live buffer is written: a tensor whose
// storage types have no kernel raises std::invalid_argument, a failed
// allocation std::bad_alloc, and either leaves parameters and state as they
// were. Safe to call without the GIL.
template <class Opt>
void fused_step(ParamTable& table, const typename Opt::Hyper* hypers, const GradRef* grads);

}  // namespace fusedopt
