#pragma once
// torch.optim.Adagrad (Duchi, Hazan & Singer 2011): per-coordinate step sizes
// from the running sum of squared gradients; its state exists from __init__.
#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Adagrad {
  static constexpr const char* name = "adagrad";
  static constexpr bool has_step = true;
  static constexpr bool state_at_construction = true;
  static constexpr std::int64_t block = 1;
  enum State : int { sum, kStates };
  static constexpr const char* states[kStates] = {"sum"};

  struct Hyper {
    double lr, lr_decay, weight_decay, initial_accumulator_value, eps;
    bool maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("lr_decay", h.lr_decay);
    v("weight_decay", h.weight_decay);
    v("initial_accumulator_value", h.initial_accumulator_value);
    v("eps", h.eps);
    v("maximize", h.maximize);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper&, int) { return true; }
  static double initial(const Hyper& h, int) { return h.initial_accumulator_value; }

  struct Coeffs {
    double clr;           // lr / (1 + (t - 1) * lr_decay)
    double eps;
    double weight_decay;  // torch's weight_decay plus 2 * the regularizer's L2 part
    double sign;
    double l1;
    L1Mode l1_mode;
  };
  struct Planner {
    Coeffs coeffs(const Hyper& h, const TensorStep& t) const {
      Coeffs c{};
      // In double, as torch computes it on the host.
      c.clr = h.lr / (1.0 + static_cast<double>(t.step - 1) * h.lr_decay);
      c.eps = h.eps;
      c.weight_decay = h.weight_decay + 2.0 * h.reg.l2;
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      c.l1_mode = h.reg.l1_mode();
      return c;
    }
  };
};

}  // namespace fusedopt
