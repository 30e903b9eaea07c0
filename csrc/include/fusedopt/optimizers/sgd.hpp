#pragma once
// torch.optim.SGD: momentum, dampening, Nesterov, coupled weight decay.
#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Sgd {
  static constexpr const char* name = "sgd";
  static constexpr bool has_step = false;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { momentum_buffer, kStates };
  static constexpr const char* states[kStates] = {"momentum_buffer"};

  struct Hyper {
    double lr, momentum, dampening, weight_decay;
    bool nesterov, maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("momentum", h.momentum);
    v("dampening", h.dampening);
    v("weight_decay", h.weight_decay);
    v("nesterov", h.nesterov);
    v("maximize", h.maximize);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper& h, int) { return h.momentum != 0.0; }
  static double initial(const Hyper&, int) { return 0.0; }

  struct Coeffs {
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
  struct Planner {
    Coeffs coeffs(const Hyper& h, const TensorStep& t) const {
      const bool use_momentum = uses(h, momentum_buffer);
      // torch starts the buffer as a copy of the first gradient, undampened.
      const bool first = use_momentum && t.first[momentum_buffer];
      Coeffs c{};
      c.lr = h.lr;
      c.weight_decay = h.weight_decay + 2.0 * h.reg.l2;
      c.momentum = h.momentum;
      c.buffer_keep = first ? 0.0 : h.momentum;
      c.grad_scale = first ? 1.0 : 1.0 - h.dampening;
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      c.l1_mode = h.reg.l1_mode();
      c.use_momentum = use_momentum;
      c.nesterov = h.nesterov;
      return c;
    }
  };
};

}  // namespace fusedopt
