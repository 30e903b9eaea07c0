#pragma once
// torch.optim.ASGD (Polyak & Juditsky 1992; Bottou 2012's step sizes): SGD
// with a decaying step eta and an average ax of the iterates, which starts
// to move away from the last iterate once the step count passes t0.
#include <algorithm>
#include <cmath>

#include "fusedopt/optimizer.hpp"

namespace fusedopt {

struct Asgd {
  static constexpr const char* name = "asgd";
  static constexpr bool has_step = true;
  static constexpr bool state_at_construction = false;
  static constexpr std::int64_t block = 1;
  enum State : int { ax, kStates };
  static constexpr const char* states[kStates] = {"ax"};
  enum Scalar : int { eta, mu, kScalars };
  static constexpr const char* scalars[kScalars] = {"eta", "mu"};

  struct Hyper {
    double lr, lambd, alpha, t0, weight_decay;
    bool maximize;
    RegularizerHyper reg;
  };
  template <class V>
  static void fields(V& v, Hyper& h) {
    v("lr", h.lr);
    v("lambd", h.lambd);
    v("alpha", h.alpha);
    v("t0", h.t0);
    v("weight_decay", h.weight_decay);
    v("maximize", h.maximize);
    RegularizerHyper::fields(v, h.reg);
  }
  static bool uses(const Hyper&, int) { return true; }
  static double initial(const Hyper&, int) { return 0.0; }

  // torch starts eta at the group's lr at the first step, and mu at 1.
  static double scalar_initial(const Hyper& h, int k) { return k == eta ? h.lr : 1.0; }
  // The step size and averaging weight of the next step. torch computes them
  // as Python floats and copies torch.as_tensor(x), a float32 tensor (the
  // default dtype), into the 0-d state: rounded to float32 whatever the
  // state's own dtype.
  static void advance(const Hyper& h, const TensorStep& t, double* next) {
    const double step = static_cast<double>(t.step);
    next[eta] = round_to(DType::f32, h.lr / std::pow(1.0 + h.lambd * h.lr * step, h.alpha));
    next[mu] = round_to(DType::f32, 1.0 / std::max(1.0, step - h.t0));
  }

  struct Coeffs {
    double decay;         // 1 - lambd * eta
    double eta;           // this step's step size (the state before the step)
    double mu;            // this step's averaging weight (likewise)
    double weight_decay;  // torch's weight_decay plus 2 * the regularizer's L2 part
    double sign;
    double l1;
    L1Mode l1_mode;
    bool average;  // mu != 1: ax moves towards the iterate; else ax is a copy of it
  };
  struct Planner {
    Coeffs coeffs(const Hyper& h, const TensorStep& t) const {
      Coeffs c{};
      c.eta = t.scalar[eta];
      c.mu = t.scalar[mu];
      c.decay = 1.0 - h.lambd * c.eta;  // in double, as torch's Python float
      c.weight_decay = h.weight_decay + 2.0 * h.reg.l2;
      c.sign = sign_of(h.maximize);
      c.l1 = h.reg.l1;
      c.l1_mode = h.reg.l1_mode();
      c.average = c.mu != 1.0;
      return c;
    }
  };
};

}  // namespace fusedopt
