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
// and, if it keeps per-tensor scalar states (torch's 0-d tensors besides
// 'step', e.g. NAdam's mu_product), these too:
//
//     enum Scalar : int { mu_product, kScalars };   // its scalars
//     static constexpr const char* scalars[kScalars] = {"mu_product"};  // torch's names
//     static double scalar_initial(const Hyper& h, int k);  // value before the first step
//     // Each scalar after step t.step, from t.scalar (before it) and the
//     // hyperparameters; round with t.rounded(k, x) where torch rounds.
//     static void advance(const Hyper& h, const TensorStep& t, double* next);
//
// The generic step calls advance() while planning, passes the values before
// and after to coeffs() (TensorStep::scalar, TensorStep::next), and stores the
// new values only after the kernel ran: a step that fails changes none.
//
// and its kernel in csrc/kernels/optimizers/. Everything else (the generic
// step in fused_step.cpp, the bindings' reading of hyperparameters by name,
// the state names Python sees) is derived from the declaration; the list of
// optimizers is FUSEDOPT_OPTIMIZERS in fusedopt/optimizers.hpp.
#include <cstdint>
#include <type_traits>

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
  double scalar[kMaxScalars];    // scalar state k before this step (its initial
                                 // value if it has none yet)
  double next[kMaxScalars];      // and after it (the declaration's advance())
  DType scalar_dtype[kMaxScalars];  // the type scalar k is kept in

  // x rounded to the type scalar k is kept in, as torch's in-place update of
  // a 0-d tensor of that dtype rounds.
  double rounded(int k, double x) const noexcept { return round_to(scalar_dtype[k], x); }
};

// The per-tensor scalar states of declaration Opt (fusedopt/optimizer.hpp's
// second list); none when it declares no kScalars.
template <class Opt, class = void>
struct ScalarsOf {
  static constexpr int count = 0;
  static const char* name(int) noexcept { return nullptr; }
  static double initial(const typename Opt::Hyper&, int) { return 0.0; }
  static void advance(const typename Opt::Hyper&, const TensorStep&, double*) {}
};
template <class Opt>
struct ScalarsOf<Opt, std::void_t<decltype(Opt::kScalars)>> {
  static constexpr int count = Opt::kScalars;
  static const char* name(int k) noexcept { return Opt::scalars[k]; }
  static double initial(const typename Opt::Hyper& h, int k) { return Opt::scalar_initial(h, k); }
  static void advance(const typename Opt::Hyper& h, const TensorStep& t, double* next) {
    Opt::advance(h, t, next);
  }
};

// -1 when maximizing: the sign the gradient is multiplied by.
inline double sign_of(bool maximize) noexcept { return maximize ? -1.0 : 1.0; }

}  // namespace fusedopt
