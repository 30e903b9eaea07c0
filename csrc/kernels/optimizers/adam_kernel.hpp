// Adam's and AdamW's kernel (declaration: fusedopt/optimizers/adam.hpp).
// Include only inside the ISA namespace, after common.hpp.

template <class T, L1Mode Mode, bool Amsgrad>
void adam_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                typename T::State* __restrict m, typename T::State* __restrict v,
                typename T::State* __restrict vmax, i64 n, const Adam::Coeffs& c) {
  using M = typename T::Math;
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

template <>
void segment_step<Adam>(const Segment& s, const Adam::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto p = T::param(s, lo);
    const auto g = T::grad(s, lo);
    const auto m = T::state(s, Adam::exp_avg, lo);
    const auto v = T::state(s, Adam::exp_avg_sq, lo);
    const auto vmax = T::state(s, Adam::max_exp_avg_sq, lo);
    with_l1_mode(c.l1_mode, [&](auto mode) {
      constexpr L1Mode Mode = decltype(mode)::value;
      if (c.amsgrad)
        adam_range<T, Mode, true>(p, g, m, v, vmax, hi - lo, c);
      else
        adam_range<T, Mode, false>(p, g, m, v, vmax, hi - lo, c);
    });
  });
}
