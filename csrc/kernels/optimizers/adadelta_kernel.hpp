// Adadelta's kernel (declaration: fusedopt/optimizers/adadelta.hpp). Include
// only inside the ISA namespace, after common.hpp.

template <class T, L1Mode Mode>
void adadelta_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                    typename T::State* __restrict sq, typename T::State* __restrict acc, i64 n,
                    const Adadelta::Coeffs& c) {
  using M = typename T::Math;
  // 1 - rho in double, then rounded once, as torch passes it to addcmul.
  const M rho = c.rho, one_minus_rho = M(1.0 - c.rho), eps = c.eps;
  const M lr = c.lr, wd = c.weight_decay, sign = c.sign, l1 = c.l1;
  const M lr_l1 = M(c.lr * c.l1);
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, wd, l1);
    const M v = rho * load<M>(sq, i) + one_minus_rho * gi * gi;
    store(sq, i, v);
    const M a = load<M>(acc, i);
    // RMS(past updates) / RMS(gradients), from the accumulator before this step.
    const M scale = root(a + eps) / root(v + eps);
    const M delta = scale * gi;
    store(acc, i, rho * a + one_minus_rho * delta * delta);
    // Proximal threshold scaled like the step: lr * scale * l1 per coordinate.
    const M tau = Mode == L1Mode::proximal ? lr_l1 * scale : M(0);
    store(p, i, finish_update<Mode>(w - lr * delta, tau));
  }
}

template <>
void segment_step<Adadelta>(const Segment& s, const Adadelta::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto sq = T::state(s, Adadelta::square_avg, lo);
    const auto acc = T::state(s, Adadelta::acc_delta, lo);
    with_l1_mode(c.l1_mode, [&](auto mode) {
      adadelta_range<T, decltype(mode)::value>(T::param(s, lo), T::grad(s, lo), sq, acc,
                                               hi - lo, c);
    });
  });
}
