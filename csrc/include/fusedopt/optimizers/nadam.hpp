#pragma once
// torch.optim.NAdam (Dozat 2016, "Incorporating Nesterov Momentum into Adam"):
// Adam with a Nesterov-style look-ahead on the first moment, whose momentum
// coefficient mu_t warms up with momentum_decay; NAdamW with
// decoupled_weight_decay.
#include <cmath>

#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Nadam {
  static constexpr const char* name = "nadam";
  static constexpr bool has_step = true;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { exp_avg, exp_avg_sq, kStates };
  static constexpr const char* states[kStates] = {"exp_avg", "exp_avg_sq"};
  enum Scalar : int { mu_product, kScalars };
  static constexpr const char* scalars[kScalars] = {"mu_product"};

  struct Hyper {
    double lr, beta1, beta2, eps, weight_decay, momentum_decay;
    bool decoupled_weight_decay, maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("betas", h.beta1, h.beta2);
    v("eps", h.eps);
    v("weight_decay", h.weight_decay);
    v("momentum_decay", h.momentum_decay);
    v("decoupled_weight_decay", h.decoupled_weight_decay);
    v("maximize", h.maximize);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper&, int) { return true; }
  static double initial(const Hyper&, int) { return 0.0; }

  // mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)), in double as torch's
  // Python floats.
  static double mu(const Hyper& h, double t) {
    return h.beta1 * (1.0 - 0.5 * std::pow(0.96, t * h.momentum_decay));
  }
  static double scalar_initial(const Hyper&, int) { return 1.0; }
  // torch: mu_product *= mu, a 0-d tensor times a Python float, which rounds
  // mu to the tensor's dtype and then the product.
  static void advance(const Hyper& h, const TensorStep& t, double* next) {
    const double mu_t = t.rounded(mu_product, mu(h, static_cast<double>(t.step)));
    next[mu_product] = t.rounded(mu_product, t.scalar[mu_product] * mu_t);
  }

  struct Coeffs {
    double beta1, beta2, eps;
    double l2;              // NAdam's weight_decay (0 if decoupled) + 2 * the regularizer's L2 part
    double decay;           // decoupled: 1 - lr * weight_decay applied to the parameter
    double grad_step;       // -lr * (1 - mu_t) / (1 - mu_product_t)
    double avg_step;        // -lr * mu_{t+1} / (1 - mu_product_t * mu_{t+1})
    double inv_bias2_sqrt;  // 1 / sqrt(1 - beta2^t)
    double sign;
    double l1;
    L1Mode l1_mode;
    double lr;  // the proximal threshold's scale
  };
  struct Planner {
    Coeffs coeffs(const Hyper& h, const TensorStep& t) const {
      // In double, in torch's order of operations (its Python floats).
      const double step = static_cast<double>(t.step);
      const double mu_t = mu(h, step), mu_next = mu(h, step + 1.0);
      const double product = t.next[mu_product];
      const bool decoupled = h.decoupled_weight_decay;
      Coeffs c{};
      c.beta1 = h.beta1;
      c.beta2 = h.beta2;
      c.eps = h.eps;
      c.l2 = (decoupled ? 0.0 : h.weight_decay) + 2.0 * h.reg.l2;
      c.decay = decoupled ? 1.0 - h.lr * h.weight_decay : 1.0;
      c.grad_step = -h.lr * (1.0 - mu_t) / (1.0 - product);
      c.avg_step = (-h.lr * mu_next) / (1.0 - product * mu_next);
      c.inv_bias2_sqrt = 1.0 / std::sqrt(1.0 - std::pow(h.beta2, step));
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      c.l1_mode = h.reg.l1_mode();
      c.lr = h.lr;
      return c;
    }
  };
};

}  // namespace fusedopt
