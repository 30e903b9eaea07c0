#pragma once
// torch.optim.RMSprop: eps outside the square root, optional centering and momentum.
#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Rmsprop {
  static constexpr const char* name = "rmsprop";
  static constexpr bool has_step = true;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { square_avg, momentum_buffer, grad_avg, kStates };
  static constexpr const char* states[kStates] = {"square_avg", "momentum_buffer", "grad_avg"};

  struct Hyper {
    double lr, alpha, eps, weight_decay, momentum;
    bool centered, maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("alpha", h.alpha);
    v("eps", h.eps);
    v("weight_decay", h.weight_decay);
    v("momentum", h.momentum);
    v("centered", h.centered);
    v("maximize", h.maximize);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper& h, int k) {
    switch (k) {
      case momentum_buffer:
        return h.momentum > 0.0;
      case grad_avg:
        return h.centered;
      default:
        return true;
    }
  }
  static double initial(const Hyper&, int) { return 0.0; }

  struct Coeffs {
    double lr, alpha, eps, weight_decay, momentum, sign, l1;
    L1Mode l1_mode;
    bool centered, use_momentum;
  };
  struct Planner {
    Coeffs coeffs(const Hyper& h, const TensorStep&) const {
      Coeffs c{};
      c.lr = h.lr;
      c.alpha = h.alpha;
      c.eps = h.eps;
      c.weight_decay = h.weight_decay + 2.0 * h.reg.l2;
      c.momentum = h.momentum;
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      c.l1_mode = h.reg.l1_mode();
      c.centered = uses(h, grad_avg);
      c.use_momentum = uses(h, momentum_buffer);
      return c;
    }
  };
};

}  // namespace fusedopt
