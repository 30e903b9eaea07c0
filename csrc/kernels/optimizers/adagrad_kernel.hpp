// Adagrad's kernel (declaration: fusedopt/optimizers/adagrad.hpp). Include only
// inside the ISA namespace, after common.hpp.

template <class P, class G, class S, class M, L1Mode Mode>
void adagrad_range(P* __restrict p, const G* __restrict g, S* __restrict sum, i64 n,
                   const Adagrad::Coeffs& c) {
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
  with_storage(s.storage, [&](auto types) {
    using T = decltype(types);
    using P = typename T::Param;
    using G = typename T::Grad;
    using S = typename T::State;
    using M = typename T::Math;
    P* p = at<P>(s.param, lo);
    const G* g = at<G>(s.grad, lo);
    S* sum = at<S>(s.state[Adagrad::sum], lo);
    const i64 n = hi - lo;
    with_l1_mode(c.l1_mode, [&](auto mode) {
      adagrad_range<P, G, S, M, decltype(mode)::value>(p, g, sum, n, c);
    });
  });
}
