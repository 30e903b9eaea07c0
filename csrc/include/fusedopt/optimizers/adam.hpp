#pragma once
// torch.optim.Adam and AdamW (decoupled_weight_decay), with AMSGrad.
#include <cmath>

#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Adam {
  static constexpr const char* name = "adam";
  static constexpr bool has_step = true;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { exp_avg, exp_avg_sq, max_exp_avg_sq, kStates };
  static constexpr const char* states[kStates] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};

  struct Hyper {
    double lr, beta1, beta2, eps, weight_decay;
    bool amsgrad, maximize, decoupled_weight_decay;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("betas", h.beta1, h.beta2);
    v("eps", h.eps);
    v("weight_decay", h.weight_decay);
    v("amsgrad", h.amsgrad);
    v("maximize", h.maximize);
    v("decoupled_weight_decay", h.decoupled_weight_decay);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper& h, int k) { return k != max_exp_avg_sq || h.amsgrad; }
  static double initial(const Hyper&, int) { return 0.0; }

  struct Coeffs {
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
  // The bias corrections depend only on (beta1, beta2, t); all tensors of a
  // group usually share them, so the planner remembers the last ones instead
  // of calling pow twice per tensor.
  struct Planner {
    double beta1 = -1.0, beta2 = -1.0, t = -1.0;
    double bias1 = 0.0, bias2 = 0.0;

    Coeffs coeffs(const Hyper& h, const TensorStep& s) {
      const double step = static_cast<double>(s.step);
      if (h.beta1 != beta1 || h.beta2 != beta2 || step != t) {
        beta1 = h.beta1;
        beta2 = h.beta2;
        t = step;
        // In double, as torch computes them on the host.
        bias1 = 1.0 - std::pow(beta1, t);
        bias2 = 1.0 - std::pow(beta2, t);
      }
      const bool decoupled = h.decoupled_weight_decay;
      Coeffs c{};
      c.beta1 = h.beta1;
      c.beta2 = h.beta2;
      c.eps = h.eps;
      c.l2 = (decoupled ? 0.0 : h.weight_decay) + 2.0 * h.reg.l2;
      c.decay = decoupled ? 1.0 - h.lr * h.weight_decay : 1.0;
      c.step_size = h.lr / bias1;
      c.inv_bias2_sqrt = 1.0 / std::sqrt(bias2);
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      c.l1_mode = h.reg.l1_mode();
      c.amsgrad = uses(h, max_exp_avg_sq);
      return c;
    }
  };
};

}  // namespace fusedopt
