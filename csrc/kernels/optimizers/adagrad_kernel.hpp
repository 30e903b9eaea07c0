// Adagrad's kernel (declaration: fusedopt/optimizers/adagrad.hpp). Include only
// inside the ISA namespace, after common.hpp.

template <class T, L1Mode Mode>
void adagrad_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                   typename T::State* __restrict sum, i64 n, const Adagrad::Coeffs& c) {
  using M = typename T::Math;
  const M clr = c.clr, eps = c.eps, wd = c.weight_decay, sign = c.sign, l1 = c.l1;
  const M clr_l1 = M(c.clr * c.l1);
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, wd, l1);
    const M s = load<M>(sum, i) + gi * gi;
    store(sum, i, s);
    const M std = root(s) + eps;
    // Proximal threshold scaled like the step: clr * l1 / std per coordinate.
    const M tau = Mode == L1Mode::proximal ? clr_l1 / std : M(0);
    store(p, i, finish_update<Mode>(w - clr * (gi / std), tau));
  }
}

template <>
void segment_step<Adagrad>(const Segment& s, const Adagrad::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto sum = T::state(s, Adagrad::sum, lo);
    with_l1_mode(c.l1_mode, [&](auto mode) {
      adagrad_range<T, decltype(mode)::value>(T::param(s, lo), T::grad(s, lo), sum, hi - lo, c);
    });
  });
}
