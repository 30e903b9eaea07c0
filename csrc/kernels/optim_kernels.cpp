// Fused optimizer kernels. This one source is compiled once per ISA with
// FUSEDOPT_ISA_NS naming the namespace (isa_baseline, isa_avx2, isa_avx512)
// and that ISA's flags; the compiler vectorises the plain loops below.
//
// Everything here has internal linkage or lives in the ISA namespace, and no
// standard-library template is instantiated: an inline function emitted by two
// ISA builds would be merged by the linker, and the baseline build could end
// up calling an AVX-512 copy.
#include "fusedopt/thread_pool.hpp"

#include <cstdint>

#include "fusedopt/kernels.hpp"

#ifndef FUSEDOPT_ISA_NS
#error "compile with -DFUSEDOPT_ISA_NS=<namespace>"
#endif

namespace fusedopt {
namespace FUSEDOPT_ISA_NS {
namespace {

#include "parallel_split.hpp"

// Storage type S and math type M are separate template parameters so that
// bf16 or 8-bit storage with fp32 math can be fused into the same passes.
template <class M, class S>
inline M load(const S* p, i64 i) {
  return static_cast<M>(p[i]);
}
template <class S, class M>
inline void store(S* p, i64 i, M x) {
  p[i] = static_cast<S>(x);
}

// ---------------------------------------------------------------- SGD
// The gradient the optimizer sees: the sign-adjusted data gradient, the
// coupled weight decay (which includes a regularizer's L2 part) and, in
// subgradient mode, the L1 part. The regularizer pulls towards zero also when
// maximizing, as torch's weight_decay does.
//
// A zero weight decay must not multiply w: torch skips the term, and 0 * inf
// would turn an infinite parameter's gradient into NaN.
template <L1Mode Mode, class M>
inline M effective_grad(M g, M w, M sign, M wd, M l1) {
  const M d = wd != M(0) ? sign * g + wd * w : sign * g;
  if constexpr (Mode == L1Mode::subgradient) return d + l1 * sign_of(w);
  return d;
}

template <L1Mode Mode, class M>
inline M finish_update(M w_new, M tau) {
  if constexpr (Mode == L1Mode::proximal) return soft_threshold(w_new, tau);
  return w_new;
}

template <L1Mode M>
struct ModeTag {
  static constexpr L1Mode value = M;
};

// Calls f(ModeTag<mode>{}) so the L1 mode is a compile-time constant inside
// the inner loops.
template <class F>
void with_l1_mode(L1Mode mode, F&& f) {
  switch (mode) {
    case L1Mode::subgradient:
      f(ModeTag<L1Mode::subgradient>{});
      break;
    case L1Mode::proximal:
      f(ModeTag<L1Mode::proximal>{});
      break;
    case L1Mode::none:
    default:
      f(ModeTag<L1Mode::none>{});
      break;
  }
}

template <class P, class G, class S, class M, L1Mode Mode, bool Momentum, bool Nesterov>
void sgd_range(P* __restrict p, const G* __restrict g, S* __restrict buf, i64 n,
               const SgdCoeffs& c) {
  const M lr = c.lr, wd = c.weight_decay, mu = c.momentum, sign = c.sign;
  const M keep = c.buffer_keep, scale = c.grad_scale, l1 = c.l1;
  const M tau = M(c.lr * c.l1);  // proximal threshold: the step size times l1
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M d_p = effective_grad<Mode>(load<M>(g, i), w, sign, wd, l1);
    M step = d_p;
    if constexpr (Momentum) {
      const M b = keep * load<M>(buf, i) + scale * d_p;
      store(buf, i, b);
      step = Nesterov ? d_p + mu * b : b;
    }
    store(p, i, finish_update<Mode>(w - lr * step, tau));
  }
}

template <class T>
void sgd_typed(const Segment& s, const SgdCoeffs& c, i64 lo, i64 hi) {
  T* p = static_cast<T*>(s.param) + lo;
  const T* g = static_cast<const T*>(s.grad) + lo;
  T* buf = c.use_momentum ? static_cast<T*>(s.state[0]) + lo : nullptr;
  const i64 n = hi - lo;
  with_l1_mode(c.l1_mode, [&](auto mode) {
    constexpr L1Mode Mode = decltype(mode)::value;
    if (!c.use_momentum)
      sgd_range<T, T, T, T, Mode, false, false>(p, g, buf, n, c);
    else if (c.nesterov)
      sgd_range<T, T, T, T, Mode, true, true>(p, g, buf, n, c);
    else
      sgd_range<T, T, T, T, Mode, true, false>(p, g, buf, n, c);
  });
}

// ---------------------------------------------------------------- RMSprop
template <class P, class G, class S, class M, L1Mode Mode, bool Centered, bool Momentum>
void rmsprop_range(P* __restrict p, const G* __restrict g, S* __restrict sq,
                   S* __restrict buf, S* __restrict avg, i64 n, const RmspropCoeffs& c) {
  const M lr = c.lr, alpha = c.alpha, one_minus_alpha = M(1.0 - c.alpha), eps = c.eps;
  const M wd = c.weight_decay, mu = c.momentum, sign = c.sign, l1 = c.l1;
  const M lr_l1 = M(c.lr * c.l1);
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, wd, l1);
    const M v = alpha * load<M>(sq, i) + one_minus_alpha * gi * gi;
    store(sq, i, v);
    M den;
    if constexpr (Centered) {
      const M a = alpha * load<M>(avg, i) + one_minus_alpha * gi;
      store(avg, i, a);
      den = root(v - a * a) + eps;
    } else {
      den = root(v) + eps;
    }
    // Proximal threshold scaled like the step: lr * l1 / den per coordinate.
    const M tau = Mode == L1Mode::proximal ? lr_l1 / den : M(0);
    if constexpr (Momentum) {
      const M b = mu * load<M>(buf, i) + gi / den;
      store(buf, i, b);
      store(p, i, finish_update<Mode>(w - lr * b, tau));
    } else {
      store(p, i, finish_update<Mode>(w - lr * (gi / den), tau));
    }
  }
}

template <class T>
void rmsprop_typed(const Segment& s, const RmspropCoeffs& c, i64 lo, i64 hi) {
  T* p = static_cast<T*>(s.param) + lo;
  const T* g = static_cast<const T*>(s.grad) + lo;
  T* sq = static_cast<T*>(s.state[0]) + lo;
  T* buf = c.use_momentum ? static_cast<T*>(s.state[1]) + lo : nullptr;
  T* avg = c.centered ? static_cast<T*>(s.state[2]) + lo : nullptr;
  const i64 n = hi - lo;
  with_l1_mode(c.l1_mode, [&](auto mode) {
    constexpr L1Mode Mode = decltype(mode)::value;
    if (c.centered && c.use_momentum)
      rmsprop_range<T, T, T, T, Mode, true, true>(p, g, sq, buf, avg, n, c);
    else if (c.centered)
      rmsprop_range<T, T, T, T, Mode, true, false>(p, g, sq, buf, avg, n, c);
    else if (c.use_momentum)
      rmsprop_range<T, T, T, T, Mode, false, true>(p, g, sq, buf, avg, n, c);
    else
      rmsprop_range<T, T, T, T, Mode, false, false>(p, g, sq, buf, avg, n, c);
  });
}

// ---------------------------------------------------------------- Adam / AdamW
template <class P, class G, class S, class M, L1Mode Mode, bool Amsgrad>
void adam_range(P* __restrict p, const G* __restrict g, S* __restrict m, S* __restrict v,
                S* __restrict vmax, i64 n, const AdamCoeffs& c) {
  // 1 - beta in double, then rounded once, as torch passes it to its kernels.
  const M b1 = c.beta1, one_minus_b1 = M(1.0 - c.beta1);
  const M b2 = c.beta2, one_minus_b2 = M(1.0 - c.beta2);
  const M eps = c.eps, l2 = c.l2, decay = c.decay, sign = c.sign;
  const M step_size = c.step_size, inv_bias2_sqrt = c.inv_bias2_sqrt, l1 = c.l1;
  const M step_l1 = M(c.step_size * c.l1);
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, l2, l1);
    const M mi = b1 * load<M>(m, i) + one_minus_b1 * gi;
    const M vi = b2 * load<M>(v, i) + one_minus_b2 * gi * gi;
    store(m, i, mi);
    store(v, i, vi);
    M vhat = vi;
    if constexpr (Amsgrad) {
      const M old = load<M>(vmax, i);
      vhat = (old > vi || old != old) ? old : vi;  // keeps a NaN, as torch.maximum does
      store(vmax, i, vhat);
    }
    const M den = root(vhat) * inv_bias2_sqrt + eps;
    // Proximal threshold scaled like the step: lr / (1 - beta1^t) * l1 / den.
    const M tau = Mode == L1Mode::proximal ? step_l1 / den : M(0);
    store(p, i, finish_update<Mode>(w * decay - step_size * (mi / den), tau));
  }
}

template <class T>
void adam_typed(const Segment& s, const AdamCoeffs& c, i64 lo, i64 hi) {
  T* p = static_cast<T*>(s.param) + lo;
  const T* g = static_cast<const T*>(s.grad) + lo;
  T* m = static_cast<T*>(s.state[0]) + lo;
  T* v = static_cast<T*>(s.state[1]) + lo;
  T* vmax = c.amsgrad ? static_cast<T*>(s.state[2]) + lo : nullptr;
  const i64 n = hi - lo;
  with_l1_mode(c.l1_mode, [&](auto mode) {
    constexpr L1Mode Mode = decltype(mode)::value;
    if (c.amsgrad)
      adam_range<T, T, T, T, Mode, true>(p, g, m, v, vmax, n, c);
    else
      adam_range<T, T, T, T, Mode, false>(p, g, m, v, vmax, n, c);
  });
}

// ---------------------------------------------------------------- steps
template <class Coeffs, class Body>
void run_step(const StepLaunch<Coeffs>& launch, Body body) {
  if (launch.count == 0) return;
  parallel_segments(launch.offsets, launch.count, launch.num_threads, [&](i64 s, i64 lo, i64 hi) {
    body(launch.segments[s], launch.coeffs[s], lo, hi);
  });
}

void sgd_step(const SgdLaunch& launch) {
  run_step(launch, [](const Segment& s, const SgdCoeffs& c, i64 lo, i64 hi) {
    if (s.dtype == DType::f32)
      sgd_typed<float>(s, c, lo, hi);
    else
      sgd_typed<double>(s, c, lo, hi);
  });
}

void rmsprop_step(const RmspropLaunch& launch) {
  run_step(launch, [](const Segment& s, const RmspropCoeffs& c, i64 lo, i64 hi) {
    if (s.dtype == DType::f32)
      rmsprop_typed<float>(s, c, lo, hi);
    else
      rmsprop_typed<double>(s, c, lo, hi);
  });
}

void adam_step(const AdamLaunch& launch) {
  run_step(launch, [](const Segment& s, const AdamCoeffs& c, i64 lo, i64 hi) {
    if (s.dtype == DType::f32)
      adam_typed<float>(s, c, lo, hi);
    else
      adam_typed<double>(s, c, lo, hi);
  });
}

}  // namespace

// Defined in regularizer_kernels.cpp (same ISA namespace).
double regularizer_value(const RegLaunch& launch);
void regularizer_grad(const RegLaunch& launch);

const KernelTable& kernel_table() noexcept {
  static const KernelTable table{&sgd_step, &rmsprop_step, &adam_step, &regularizer_value,
                                 &regularizer_grad};
  return table;
}

}  // namespace FUSEDOPT_ISA_NS
}  // namespace fusedopt
