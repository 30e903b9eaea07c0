// Adamax's kernel (declaration: fusedopt/optimizers/adamax.hpp). Include only
// inside the ISA namespace, after common.hpp.

template <class T, L1Mode Mode>
void adamax_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                  typename T::State* __restrict m, typename T::State* __restrict u, i64 n,
                  const Adamax::Coeffs& c) {
  using M = typename T::Math;
  // 1 - beta1 in double, then rounded once, as torch passes it to lerp.
  const M b1 = c.beta1, one_minus_b1 = M(1.0 - c.beta1), b2 = c.beta2;
  const M eps = c.eps, l2 = c.l2, sign = c.sign, clr = c.clr, l1 = c.l1;
  const M clr_l1 = M(c.clr * c.l1);
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, l2, l1);
    const M mi = b1 * load<M>(m, i) + one_minus_b1 * gi;
    store(m, i, mi);
    // max(beta2 * u, |g| + eps), NaN from either side kept, as torch.maximum.
    const M decayed = b2 * load<M>(u, i), fresh = magnitude(gi) + eps;
    const M ui = (decayed > fresh || decayed != decayed) ? decayed : fresh;
    store(u, i, ui);
    // Proximal threshold scaled like the step: clr * l1 / u per coordinate.
    const M tau = Mode == L1Mode::proximal ? clr_l1 / ui : M(0);
    store(p, i, finish_update<Mode>(w - clr * (mi / ui), tau));
  }
}

template <>
void segment_step<Adamax>(const Segment& s, const Adamax::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto m = T::state(s, Adamax::exp_avg, lo);
    const auto u = T::state(s, Adamax::exp_inf, lo);
    with_l1_mode(c.l1_mode, [&](auto mode) {
      adamax_range<T, decltype(mode)::value>(T::param(s, lo), T::grad(s, lo), m, u, hi - lo, c);
    });
  });
}
