#pragma once
// One optimizer step over every parameter of a ParamTable: per-tensor
// coefficients, state allocation, and a single call into the active kernels.
#include <cstdint>

#include "fusedopt/hyperparams.hpp"
#include "fusedopt/param_table.hpp"

namespace fusedopt {

// grads[i] points at parameter i's gradient (same dtype and size, no overlap
// with any parameter or state), or is nullptr to skip parameter i entirely.
// hypers[g] are group g's hyperparameters. Safe to call without the GIL.
void sgd_step(ParamTable& table, const SgdHyper* hypers, const void* const* grads);
void rmsprop_step(ParamTable& table, const RmspropHyper* hypers, const void* const* grads);
void adam_step(ParamTable& table, const AdamHyper* hypers, const void* const* grads);

// State buffer indices, in the order torch names them.
namespace sgd_state { inline constexpr int momentum_buffer = 0; }
namespace rmsprop_state {
inline constexpr int square_avg = 0, momentum_buffer = 1, grad_avg = 2;
}
namespace adam_state { inline constexpr int exp_avg = 0, exp_avg_sq = 1, max_exp_avg_sq = 2; }

}  // namespace fusedopt
