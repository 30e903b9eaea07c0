// RAdam's kernel (declaration: fusedopt/optimizers/radam.hpp). Include only
// inside the ISA namespace, after common.hpp.

template <class T, L1Mode Mode, bool Rectified>
void radam_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                 typename T::State* __restrict m, typename T::State* __restrict v, i64 n,
                 const Radam::Coeffs& c) {
  using M = typename T::Math;
  // 1 - beta in double, then rounded once, as torch passes it to its kernels.
  const M b1 = c.beta1, one_minus_b1 = M(1.0 - c.beta1);
  const M b2 = c.beta2, one_minus_b2 = M(1.0 - c.beta2);
  const M eps = c.eps, l2 = c.l2, decay = c.decay, sign = c.sign, l1 = c.l1;
  const M step_size = c.step_size;
  // Proximal threshold scaled like the step: step_size * l1 (/ den when rectified).
  const M step_l1 = M(c.step_size * c.l1);
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, l2, l1);
    const M mi = b1 * load<M>(m, i) + one_minus_b1 * gi;
    const M vi = b2 * load<M>(v, i) + one_minus_b2 * gi * gi;
    store(m, i, mi);
    store(v, i, vi);
    M update = mi, tau = step_l1;
    if constexpr (Rectified) {
      const M den = root(vi) + eps;  // eps outside the bias correction, as torch's
      update = mi / den;
      tau = Mode == L1Mode::proximal ? step_l1 / den : M(0);
    }
    store(p, i, finish_update<Mode>(w * decay - step_size * update, tau));
  }
}

template <>
void segment_step<Radam>(const Segment& s, const Radam::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto p = T::param(s, lo);
    const auto g = T::grad(s, lo);
    const auto m = T::state(s, Radam::exp_avg, lo);
    const auto v = T::state(s, Radam::exp_avg_sq, lo);
    with_l1_mode(c.l1_mode, [&](auto mode) {
      constexpr L1Mode Mode = decltype(mode)::value;
      if (c.rectified)
        radam_range<T, Mode, true>(p, g, m, v, hi - lo, c);
      else
        radam_range<T, Mode, false>(p, g, m, v, hi - lo, c);
    });
  });
}
