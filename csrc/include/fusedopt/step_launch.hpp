#pragma once
// What one fused optimizer step hands to the per-ISA kernels: every tensor's
// memory, the per-tensor coefficients, and the prefix sums the threads use to
// split the concatenated work evenly.
#include <cstdint>

#include "fusedopt/dtype.hpp"

namespace fusedopt {

// How a group's L1 penalty l1 * sum|w| enters the step: as the subgradient
// l1 * sign(w) added to the gradient, or as soft-thresholding after the update.
// (An L2 penalty is folded into the coupled weight decay.)
enum class L1Mode : std::uint8_t { none = 0, subgradient = 1, proximal = 2 };

// Coefficients folded from a group's hyperparameters and the tensor's own
// step count, so the inner loop sees only numbers.
struct SgdCoeffs {
  double lr;
  double weight_decay;  // torch's weight_decay plus 2 * the regularizer's L2 part
  double momentum;
  double buffer_keep;  // 0 on the buffer's first step (b = g), else momentum
  double grad_scale;   // 1 on the buffer's first step, else 1 - dampening
  double sign;         // -1 when maximizing
  double l1;
  L1Mode l1_mode;
  bool use_momentum, nesterov;
};

struct RmspropCoeffs {
  double lr, alpha, eps, weight_decay, momentum, sign, l1;
  L1Mode l1_mode;
  bool centered, use_momentum;
};

struct AdamCoeffs {
  double beta1, beta2, eps;
  double l2;              // Adam's weight_decay (0 for AdamW) + 2 * the regularizer's L2 part
  double decay;           // AdamW: 1 - lr * weight_decay applied to the parameter
  double step_size;       // lr / (1 - beta1^t)
  double inv_bias2_sqrt;  // 1 / sqrt(1 - beta2^t)
  double sign;
  double l1;
  L1Mode l1_mode;
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
