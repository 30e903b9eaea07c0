#pragma once
// torch.optim.Adadelta (Zeiler 2012): the step is the gradient scaled by
// RMS(past updates) / RMS(gradients); torch multiplies it by lr (default 1).
#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Adadelta {
  static constexpr const char* name = "adadelta";
  static constexpr bool has_step = true;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { square_avg, acc_delta, kStates };
  static constexpr const char* states[kStates] = {"square_avg", "acc_delta"};

  struct Hyper {
    double lr, rho, eps, weight_decay;
    bool maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("rho", h.rho);
    v("eps", h.eps);
    v("weight_decay", h.weight_decay);
    v("maximize", h.maximize);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper&, int) { return true; }
  static double initial(const Hyper&, int) { return 0.0; }

  struct Coeffs {
    double lr, rho, eps;
    double weight_decay;  // torch's weight_decay plus 2 * the regularizer's L2 part
    double sign;
    double l1;
    L1Mode l1_mode;
  };
  struct Planner {
    Coeffs coeffs(const Hyper& h, const TensorStep&) const {
      Coeffs c{};
      c.lr = h.lr;
      c.rho = h.rho;
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
