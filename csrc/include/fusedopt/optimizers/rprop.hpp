#pragma once
// torch.optim.Rprop (Riedmiller & Braun 1993): each element moves by its own
// step size in the direction of -sign(g); the step size grows while the
// gradient keeps its sign and shrinks when it flips. Its state step_size
// starts at lr, a hyperparameter: initial() reads it from the group.
#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Rprop {
  static constexpr const char* name = "rprop";
  static constexpr bool has_step = true;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { prev, step_size, kStates };
  static constexpr const char* states[kStates] = {"prev", "step_size"};

  struct Hyper {
    double lr, etaminus, etaplus, step_size_min, step_size_max;
    bool maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("etas", h.etaminus, h.etaplus);
    v("step_sizes", h.step_size_min, h.step_size_max);
    v("maximize", h.maximize);
    // The regularizer's gradient joins g before its sign is taken; there is no
    // proximal mode (python/fusedopt/_declarations.py's RPROP says why), so
    // l1_proximal is not read and an L1 part is always a subgradient.
    v.optional("l1", h.reg.l1);
    v.optional("l2", h.reg.l2);
  }
  static bool uses(const Hyper&, int) { return true; }
  static double initial(const Hyper& h, int k) { return k == step_size ? h.lr : 0.0; }

  struct Coeffs {
    double etaminus, etaplus, step_size_min, step_size_max;
    double l2;  // 2 * the regularizer's L2 part, added to the gradient
    double sign;
    double l1;
  };
  struct Planner {
    Coeffs coeffs(const Hyper& h, const TensorStep&) const {
      Coeffs c{};
      c.etaminus = h.etaminus;
      c.etaplus = h.etaplus;
      c.step_size_min = h.step_size_min;
      c.step_size_max = h.step_size_max;
      c.l2 = 2.0 * h.reg.l2;
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      return c;
    }
  };
};

}  // namespace fusedopt
