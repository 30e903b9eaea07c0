// ASGD's kernel (declaration: fusedopt/optimizers/asgd.hpp). Include only
// inside the ISA namespace, after common.hpp.

template <class T, L1Mode Mode, bool Average>
void asgd_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                typename T::State* __restrict ax, i64 n, const Asgd::Coeffs& c) {
  using M = typename T::Math;
  const M decay = c.decay, eta = c.eta, mu = c.mu, wd = c.weight_decay, sign = c.sign, l1 = c.l1;
  const M tau = M(c.eta * c.l1);  // proximal threshold: the step size times l1
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, wd, l1);
    const M w_new = finish_update<Mode>(w * decay - eta * gi, tau);
    store(p, i, w_new);
    if constexpr (Average) {
      const M a = load<M>(ax, i);
      store(ax, i, a + (w_new - a) * mu);
    } else {
      store(ax, i, w_new);  // torch copies the iterate while mu = 1
    }
  }
}

template <>
void segment_step<Asgd>(const Segment& s, const Asgd::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto p = T::param(s, lo);
    const auto g = T::grad(s, lo);
    const auto ax = T::state(s, Asgd::ax, lo);
    with_l1_mode(c.l1_mode, [&](auto mode) {
      constexpr L1Mode Mode = decltype(mode)::value;
      if (c.average)
        asgd_range<T, Mode, true>(p, g, ax, hi - lo, c);
      else
        asgd_range<T, Mode, false>(p, g, ax, hi - lo, c);
    });
  });
}
