// NAdam's kernel (declaration: fusedopt/optimizers/nadam.hpp). Include only
// inside the ISA namespace, after common.hpp.

template <class T, L1Mode Mode>
void nadam_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                 typename T::State* __restrict m, typename T::State* __restrict v, i64 n,
                 const Nadam::Coeffs& c) {
  using M = typename T::Math;
  // 1 - beta in double, then rounded once, as torch passes it to its kernels.
  const M b1 = c.beta1, one_minus_b1 = M(1.0 - c.beta1);
  const M b2 = c.beta2, one_minus_b2 = M(1.0 - c.beta2);
  const M eps = c.eps, l2 = c.l2, decay = c.decay, sign = c.sign, l1 = c.l1;
  const M grad_step = c.grad_step, avg_step = c.avg_step, inv_bias2_sqrt = c.inv_bias2_sqrt;
  const M lr_l1 = M(c.lr * c.l1);
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, l2, l1);
    const M mi = b1 * load<M>(m, i) + one_minus_b1 * gi;
    const M vi = b2 * load<M>(v, i) + one_minus_b2 * gi * gi;
    store(m, i, mi);
    store(v, i, vi);
    const M den = root(vi) * inv_bias2_sqrt + eps;
    // torch's two addcdiv_ calls: the gradient's share, then the average's.
    const M after_grad = w * decay + grad_step * (gi / den);
    // Proximal threshold scaled like the step: lr * l1 / den.
    const M tau = Mode == L1Mode::proximal ? lr_l1 / den : M(0);
    store(p, i, finish_update<Mode>(after_grad + avg_step * (mi / den), tau));
  }
}

template <>
void segment_step<Nadam>(const Segment& s, const Nadam::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto m = T::state(s, Nadam::exp_avg, lo);
    const auto v = T::state(s, Nadam::exp_avg_sq, lo);
    with_l1_mode(c.l1_mode, [&](auto mode) {
      nadam_range<T, decltype(mode)::value>(T::param(s, lo), T::grad(s, lo), m, v, hi - lo, c);
    });
  });
}
