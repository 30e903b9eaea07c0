#pragma once
// What one fused optimizer step hands to the per-ISA kernels: every tensor's
// memory, the per-tensor coefficients, and the prefix sums the threads use to
// split the concatenated work evenly.
#include <cstdint>

#include "fusedopt/dtype.hpp"

namespace fusedopt {

// Coefficients folded from a group's hyperparameters and the tensor's own
// step count, so the inner loop sees only numbers.
struct SgdCoeffs {
  double lr, weight_decay, momentum;
  double buffer_keep;  // 0 on the buffer's first step (b = g), else momentum
  double grad_scale;   // 1 on the buffer's first step, else 1 - dampening
  double sign;         // -1 when maximizing
  bool use_momentum, nesterov;
};

struct RmspropCoeffs {
  double lr, alpha, eps, weight_decay, momentum, sign;
  bool centered, use_momentum;
};

struct AdamCoeffs {
  double beta1, beta2, eps;
  double l2;              // Adam: weight_decay added to the gradient
  double decay;           // AdamW: 1 - lr * weight_decay applied to the parameter
  double step_size;       // lr / (1 - beta1^t)
  double inv_bias2_sqrt;  // 1 / sqrt(1 - beta2^t)
  double sign;
  bool amsgrad;
};

// One tensor's share of a step. state[k] is the k-th optimizer buffer
// (nullptr when the options do not use it).
struct Segment {
  void* param;
  const void* grad;
  void* state[3];
  std::int64_t size;
  DType dtype;
};

template <class Coeffs>
struct StepLaunch {
  const Segment* segments;
  const Coeffs* coeffs;         // one per segment
  const std::int64_t* offsets;  // count + 1 prefix sums of segment sizes
  std::int64_t count;
  int num_threads;
};

using SgdLaunch = StepLaunch<SgdCoeffs>;
using RmspropLaunch = StepLaunch<RmspropCoeffs>;
using AdamLaunch = StepLaunch<AdamCoeffs>;

}  // namespace fusedopt
