// Fused optimizer kernels. This one source is compiled once per ISA with
// FUSEDOPT_ISA_NS naming the namespace (isa_baseline, isa_avx2, isa_avx512)
// and that ISA's flags; the compiler vectorises the plain loops below.
//
// Everything here has internal linkage or lives in the ISA namespace, and no
// standard-library template is instantiated: an inline function emitted by two
// ISA builds would be merged by the linker, and the baseline build could end
// up calling an AVX-512 copy.
#include <omp.h>

#include <cstdint>

#include "fusedopt/kernels.hpp"

#ifndef FUSEDOPT_ISA_NS
#error "compile with -DFUSEDOPT_ISA_NS=<namespace>"
#endif

namespace fusedopt {
namespace FUSEDOPT_ISA_NS {
namespace {

using i64 = std::int64_t;

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

inline float root(float x) { return __builtin_sqrtf(x); }
inline double root(double x) { return __builtin_sqrt(x); }

// ---------------------------------------------------------------- SGD
template <class P, class G, class S, class M, bool Momentum, bool Nesterov>
void sgd_range(P* __restrict p, const G* __restrict g, S* __restrict buf, i64 n,
               const SgdCoeffs& c) {
  const M lr = c.lr, wd = c.weight_decay, mu = c.momentum, sign = c.sign;
  const M keep = c.buffer_keep, scale = c.grad_scale;
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M d_p = sign * load<M>(g, i) + wd * w;
    M step = d_p;
    if constexpr (Momentum) {
      const M b = keep * load<M>(buf, i) + scale * d_p;
      store(buf, i, b);
      step = Nesterov ? d_p + mu * b : b;
    }
    store(p, i, w - lr * step);
  }
}

template <class T>
void sgd_typed(const Segment& s, const SgdCoeffs& c, i64 lo, i64 hi) {
  T* p = static_cast<T*>(s.param) + lo;
  const T* g = static_cast<const T*>(s.grad) + lo;
  T* buf = c.use_momentum ? static_cast<T*>(s.state[0]) + lo : nullptr;
  const i64 n = hi - lo;
  if (!c.use_momentum)
    sgd_range<T, T, T, T, false, false>(p, g, buf, n, c);
  else if (c.nesterov)
    sgd_range<T, T, T, T, true, true>(p, g, buf, n, c);
  else
    sgd_range<T, T, T, T, true, false>(p, g, buf, n, c);
}

// ---------------------------------------------------------------- RMSprop
template <class P, class G, class S, class M, bool Centered, bool Momentum>
void rmsprop_range(P* __restrict p, const G* __restrict g, S* __restrict sq,
                   S* __restrict buf, S* __restrict avg, i64 n, const RmspropCoeffs& c) {
  const M lr = c.lr, alpha = c.alpha, one_minus_alpha = M(1.0 - c.alpha), eps = c.eps;
  const M wd = c.weight_decay, mu = c.momentum, sign = c.sign;
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = sign * load<M>(g, i) + wd * w;
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
    if constexpr (Momentum) {
      const M b = mu * load<M>(buf, i) + gi / den;
      store(buf, i, b);
      store(p, i, w - lr * b);
    } else {
      store(p, i, w - lr * (gi / den));
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
  if (c.centered && c.use_momentum)
    rmsprop_range<T, T, T, T, true, true>(p, g, sq, buf, avg, n, c);
  else if (c.centered)
    rmsprop_range<T, T, T, T, true, false>(p, g, sq, buf, avg, n, c);
  else if (c.use_momentum)
    rmsprop_range<T, T, T, T, false, true>(p, g, sq, buf, avg, n, c);
  else
    rmsprop_range<T, T, T, T, false, false>(p, g, sq, buf, avg, n, c);
}

// ---------------------------------------------------------------- Adam / AdamW
template <class P, class G, class S, class M, bool Amsgrad>
void adam_range(P* __restrict p, const G* __restrict g, S* __restrict m, S* __restrict v,
                S* __restrict vmax, i64 n, const AdamCoeffs& c) {
  // 1 - beta in double, then rounded once, as torch passes it to its kernels.
  const M b1 = c.beta1, one_minus_b1 = M(1.0 - c.beta1);
  const M b2 = c.beta2, one_minus_b2 = M(1.0 - c.beta2);
  const M eps = c.eps, l2 = c.l2, decay = c.decay, sign = c.sign;
  const M step_size = c.step_size, inv_bias2_sqrt = c.inv_bias2_sqrt;
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    // At most one of l2 (Adam) and decay != 1 (AdamW) is active.
    const M gi = sign * load<M>(g, i) + l2 * w;
    const M mi = b1 * load<M>(m, i) + one_minus_b1 * gi;
    const M vi = b2 * load<M>(v, i) + one_minus_b2 * gi * gi;
    store(m, i, mi);
    store(v, i, vi);
    M vhat = vi;
    if constexpr (Amsgrad) {
      const M old = load<M>(vmax, i);
      vhat = old > vi ? old : vi;
      store(vmax, i, vhat);
    }
    const M den = root(vhat) * inv_bias2_sqrt + eps;
    store(p, i, w * decay - step_size * (mi / den));
  }
}

template <class T>
void adam_typed(const Segment& s, const AdamCoeffs& c, i64 lo, i64 hi) {
  T* p = static_cast<T*>(s.param) + lo;
  const T* g = static_cast<const T*>(s.grad) + lo;
  T* m = static_cast<T*>(s.state[0]) + lo;
  T* v = static_cast<T*>(s.state[1]) + lo;
  const i64 n = hi - lo;
  if (c.amsgrad)
    adam_range<T, T, T, T, true>(p, g, m, v, static_cast<T*>(s.state[2]) + lo, n, c);
  else
    adam_range<T, T, T, T, false>(p, g, m, v, nullptr, n, c);
}

// ---------------------------------------------------------------- scheduling
// Thread t of nt owns elements [split(t), split(t + 1)) of the concatenation of
// all tensors. Boundaries are multiples of 64 elements so two threads rarely
// write the same cache line; the split is static, so results do not depend on
// timing.
inline i64 split(i64 total, int t, int nt) {
  if (t >= nt) return total;
  return (total * t / nt) & ~i64(63);
}

// Index of the segment holding global element `pos` (offsets are ascending).
inline i64 find_segment(const i64* offsets, i64 count, i64 pos) {
  i64 lo = 0, hi = count;  // invariant: offsets[lo] <= pos < offsets[hi]
  while (hi - lo > 1) {
    const i64 mid = lo + (hi - lo) / 2;
    if (offsets[mid] <= pos)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

template <class Coeffs, class Body>
void run_share(const StepLaunch<Coeffs>& launch, int t, int nt, Body body) {
  const i64* off = launch.offsets;
  const i64 begin = split(off[launch.count], t, nt);
  const i64 end = split(off[launch.count], t + 1, nt);
  if (begin >= end) return;
  for (i64 s = find_segment(off, launch.count, begin); s < launch.count && off[s] < end; ++s) {
    const i64 lo = (begin > off[s] ? begin : off[s]) - off[s];
    const i64 hi = (end < off[s + 1] ? end : off[s + 1]) - off[s];
    if (lo < hi) body(launch.segments[s], launch.coeffs[s], lo, hi);
  }
}

// One parallel region for the whole step, whatever the number of tensors.
template <class Coeffs, class Body>
void run_step(const StepLaunch<Coeffs>& launch, Body body) {
  if (launch.count == 0) return;
  if (launch.num_threads <= 1) {
    run_share(launch, 0, 1, body);
    return;
  }
#pragma omp parallel num_threads(launch.num_threads)
  run_share(launch, omp_get_thread_num(), omp_get_num_threads(), body);
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

const KernelTable& kernel_table() noexcept {
  static const KernelTable table{&sgd_step, &rmsprop_step, &adam_step};
  return table;
}

}  // namespace FUSEDOPT_ISA_NS
}  // namespace fusedopt
