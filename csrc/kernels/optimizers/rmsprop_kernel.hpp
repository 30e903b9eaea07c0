// RMSprop's kernel (declaration: fusedopt/optimizers/rmsprop.hpp). Include only
// inside the ISA namespace, after common.hpp.

template <class T, L1Mode Mode, bool Centered, bool Momentum>
void rmsprop_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                   typename T::State* __restrict sq, typename T::State* __restrict buf,
                   typename T::State* __restrict avg, i64 n, const Rmsprop::Coeffs& c) {
  using M = typename T::Math;
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

template <>
void segment_step<Rmsprop>(const Segment& s, const Rmsprop::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto p = T::param(s, lo);
    const auto g = T::grad(s, lo);
    const auto sq = T::state(s, Rmsprop::square_avg, lo);
    const auto buf = T::state(s, Rmsprop::momentum_buffer, lo);
    const auto avg = T::state(s, Rmsprop::grad_avg, lo);
    const i64 n = hi - lo;
    with_l1_mode(c.l1_mode, [&](auto mode) {
      constexpr L1Mode Mode = decltype(mode)::value;
      if (c.centered && c.use_momentum)
        rmsprop_range<T, Mode, true, true>(p, g, sq, buf, avg, n, c);
      else if (c.centered)
        rmsprop_range<T, Mode, true, false>(p, g, sq, buf, avg, n, c);
      else if (c.use_momentum)
        rmsprop_range<T, Mode, false, true>(p, g, sq, buf, avg, n, c);
      else
        rmsprop_range<T, Mode, false, false>(p, g, sq, buf, avg, n, c);
    });
  });
}
