#pragma once
// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), as
// the lion-pytorch package computes it: the sign of an interpolation of the
// momentum and the gradient, decoupled weight decay.
#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Lion {
  static constexpr const char* name = "lion";
  static constexpr bool has_step = false;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { exp_avg, kStates };
  static constexpr const char* states[kStates] = {"exp_avg"};

  struct Hyper {
    double lr, beta1, beta2, weight_decay;
    bool maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("betas", h.beta1, h.beta2);
    v("weight_decay", h.weight_decay);
    v("maximize", h.maximize);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper&, int) { return true; }
  static double initial(const Hyper&, int) { return 0.0; }

  struct Coeffs {
    double lr, beta1, beta2;
    double decay;  // 1 - lr * weight_decay
    double l2;     // 2 * the regularizer's L2 part, added to the gradient
    double sign;
    double l1;
    L1Mode l1_mode;
  };
  struct Planner {
    Coeffs coeffs(const Hyper& h, const TensorStep&) const {
      Coeffs c{};
      c.lr = h.lr;
      c.beta1 = h.beta1;
      c.beta2 = h.beta2;
      c.decay = 1.0 - h.lr * h.weight_decay;
      c.l2 = 2.0 * h.reg.l2;
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      c.l1_mode = h.reg.l1_mode();
      return c;
    }
  };
};

}  // namespace fusedopt
