#pragma once
// torch.optim.Adamax (Kingma & Ba 2015, section 7.1): Adam with the infinity
// norm, an exponentially weighted maximum of |g|, in place of the RMS.
#include <cmath>

#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Adamax {
  static constexpr const char* name = "adamax";
  static constexpr bool has_step = true;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { exp_avg, exp_inf, kStates };
  static constexpr const char* states[kStates] = {"exp_avg", "exp_inf"};

  struct Hyper {
    double lr, beta1, beta2, eps, weight_decay;
    bool maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("betas", h.beta1, h.beta2);
    v("eps", h.eps);
    v("weight_decay", h.weight_decay);
    v("maximize", h.maximize);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper&, int) { return true; }
  static double initial(const Hyper&, int) { return 0.0; }

  struct Coeffs {
    double beta1, beta2, eps;
    double l2;   // torch's weight_decay + 2 * the regularizer's L2 part
    double clr;  // lr / (1 - beta1^t)
    double sign;
    double l1;
    L1Mode l1_mode;
  };
  // The bias correction depends only on (beta1, t); the tensors of a group
  // usually share it, so the planner remembers the last one.
  struct Planner {
    double beta1 = -1.0, t = -1.0, bias1 = 0.0;

    Coeffs coeffs(const Hyper& h, const TensorStep& s) {
      const double step = static_cast<double>(s.step);
      if (h.beta1 != beta1 || step != t) {
        beta1 = h.beta1;
        t = step;
        bias1 = 1.0 - std::pow(beta1, t);  // in double, as torch computes it on the host
      }
      Coeffs c{};
      c.beta1 = h.beta1;
      c.beta2 = h.beta2;
      c.eps = h.eps;
      c.l2 = h.weight_decay + 2.0 * h.reg.l2;
      c.clr = h.lr / bias1;
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      c.l1_mode = h.reg.l1_mode();
      return c;
    }
  };
};

}  // namespace fusedopt
