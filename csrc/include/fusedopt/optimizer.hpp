#pragma once
// What every optimizer declares, once, in csrc/include/fusedopt/optimizers/:
//
//   struct Adam {
//     static constexpr const char* name = "adam";   // the core's name for it
//     static constexpr bool has_step = true;        // keeps torch's per-parameter 'step'
//     static constexpr bool state_at_construction = false;  // torch makes state in __init__
//     static constexpr std::int64_t block = 1;      // a thread split keeps blocks of this
//                                                   // many elements whole (a power of two)
//     enum State { exp_avg, ..., kStates };         // its buffers, in the kernel's order
//     static constexpr const char* states[kStates] = {"exp_avg", ...};  // torch's names
//     struct Hyper { double lr; ...; RegularizerHyper reg; };  // one group's options
//     template <class V> static void fields(V& v, Hyper& h);   // v(name, field) for each
//     static bool uses(const Hyper& h, int k);      // buffer k is needed with these options
//     static double initial(const Hyper& h, int k); // its value before the first step
//     struct Coeffs { ... };                        // per tensor: what the kernel reads
//     struct Planner {                              // may cache across the tensors of a step
//       Coeffs coeffs(const Hyper& h, const TensorStep& t);
//     };
//   };
//
// and its kernel in csrc/kernels/optimizers/. Everything else (the generic
// step in fused_step.cpp, the bindings' reading of hyperparameters by name,
// the state names Python sees) is derived from the declaration; the list of
// optimizers is FUSEDOPT_OPTIMIZERS in fusedopt/optimizers.hpp.
#include <cstdint>

#include "fusedopt/param_table.hpp"

namespace fusedopt {

// How a group's L1 penalty l1 * sum|w| enters the step: as the subgradient
// l1 * sign(w) added to the gradient, or as soft-thresholding after the update.
// (An L2 penalty is folded into the coupled weight decay.)
enum class L1Mode : std::uint8_t { none = 0, subgradient = 1, proximal = 2 };

// The group's regularizer R(w) = l1 * sum|w| + l2 * sum w^2 (fusedopt.L1/L2/
// ElasticNet); proximal: the L1 part is applied by soft-thresholding.
struct RegularizerHyper {
  double l1 = 0.0, l2 = 0.0;
  bool proximal = false;

  L1Mode l1_mode() const noexcept {
    if (l1 == 0.0) return L1Mode::none;
    return proximal ? L1Mode::proximal : L1Mode::subgradient;
  }
  // Optional fields: a group without them (every torch group) has none.
  template <class V>
  static void fields(V& v, RegularizerHyper& r) {
    v.optional("l1", r.l1);
    v.optional("l2", r.l2);
    v.optional("l1_proximal", r.proximal);
  }
};

// What a declaration's planner knows about one tensor's step.
struct TensorStep {
  std::int64_t step;             // this step's count t (1 on the first step)
  bool first[kMaxStates];        // buffer k held no state before this step
};

// -1 when maximizing: the sign the gradient is multiplied by.
inline double sign_of(bool maximize) noexcept { return maximize ? -1.0 : 1.0; }

}  // namespace fusedopt
