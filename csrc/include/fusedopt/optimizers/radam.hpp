#pragma once
// torch.optim.RAdam (Liu et al. 2020, "On the Variance of the Adaptive Learning
// Rate and Beyond"): Adam whose adaptive step is switched on, rectified, once
// the approximated SMA length rho_t exceeds 5; before that, SGD with momentum.
#include <cmath>

#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Radam {
  static constexpr const char* name = "radam";
  static constexpr bool has_step = true;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { exp_avg, exp_avg_sq, kStates };
  static constexpr const char* states[kStates] = {"exp_avg", "exp_avg_sq"};

  struct Hyper {
    double lr, beta1, beta2, eps, weight_decay;
    bool decoupled_weight_decay, maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("betas", h.beta1, h.beta2);
    v("eps", h.eps);
    v("weight_decay", h.weight_decay);
    v("decoupled_weight_decay", h.decoupled_weight_decay);
    v("maximize", h.maximize);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper&, int) { return true; }
  static double initial(const Hyper&, int) { return 0.0; }

  // What step t's update is, from (beta1, beta2, t) alone: in double, in
  // torch's order of operations (its Python floats; x ** 0.5 is pow).
  struct Schedule {
    double step_size;  // the step's factor on m, over lr: rect * sqrt(1 - beta2^t) /
                       // (1 - beta1^t) when rectified, else 1 / (1 - beta1^t)
    bool rectified;    // rho_t > 5: the adaptive, rectified step
  };
  static Schedule schedule(double beta1, double beta2, double t) {
    const double bias1 = 1.0 - std::pow(beta1, t);
    const double bias2 = 1.0 - std::pow(beta2, t);
    const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
    const double rho_t = rho_inf - 2.0 * t * std::pow(beta2, t) / bias2;
    if (!(rho_t > 5.0)) return {1.0 / bias1, false};
    const double rect = std::pow((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                     ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t),
                                 0.5);
    return {rect * std::pow(bias2, 0.5) / bias1, true};
  }

  struct Coeffs {
    double beta1, beta2, eps;
    double l2;         // RAdam's weight_decay (0 if decoupled) + 2 * the regularizer's L2 part
    double decay;      // decoupled: 1 - lr * weight_decay applied to the parameter
    double step_size;  // of m: lr * Schedule::step_size
    double sign;
    double l1;
    L1Mode l1_mode;
    bool rectified;
  };
  // All tensors of a group usually share (beta1, beta2, t): the planner
  // remembers the last schedule instead of calling pow four times per tensor.
  struct Planner {
    double beta1 = -1.0, beta2 = -1.0, t = -1.0;
    Schedule last{};

    Coeffs coeffs(const Hyper& h, const TensorStep& s) {
      const double step = static_cast<double>(s.step);
      if (h.beta1 != beta1 || h.beta2 != beta2 || step != t) {
        beta1 = h.beta1;
        beta2 = h.beta2;
        t = step;
        last = schedule(beta1, beta2, t);
      }
      const bool decoupled = h.decoupled_weight_decay;
      Coeffs c{};
      c.beta1 = h.beta1;
      c.beta2 = h.beta2;
      c.eps = h.eps;
      c.l2 = (decoupled ? 0.0 : h.weight_decay) + 2.0 * h.reg.l2;
      c.decay = decoupled ? 1.0 - h.lr * h.weight_decay : 1.0;
      c.step_size = h.lr * last.step_size;
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      c.l1_mode = h.reg.l1_mode();
      c.rectified = last.rectified;
      return c;
    }
  };
};

}  // namespace fusedopt
