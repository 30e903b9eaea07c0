#pragma once
// Per-group hyperparameters as torch.optim names them, plus the group's
// regularizer R(w) = l1 * sum|w| + l2 * sum w^2 (proximal: the L1 part is
// applied by soft-thresholding after the update). Validated in Python; the
// C++ side trusts them.

namespace fusedopt {

struct RegularizerHyper {
  double l1 = 0.0, l2 = 0.0;
  bool proximal = false;
};

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
  RegularizerHyper reg;
};

struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
  RegularizerHyper reg;
};

// Adam and AdamW share one kernel: `decoupled` selects AdamW's weight decay.
struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize, decoupled;
  RegularizerHyper reg;
};

}  // namespace fusedopt
