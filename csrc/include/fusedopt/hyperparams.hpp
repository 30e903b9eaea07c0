#pragma once
// Per-group hyperparameters as torch.optim names them. Validated in Python;
// the C++ side trusts them.

namespace fusedopt {

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};

struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered, maximize;
};

// Adam and AdamW share one kernel: `decoupled` selects AdamW's weight decay.
struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize, decoupled;
};

}  // namespace fusedopt
