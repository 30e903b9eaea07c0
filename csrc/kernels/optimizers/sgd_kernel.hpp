// SGD's kernel (declaration: fusedopt/optimizers/sgd.hpp). Include only inside
// the ISA namespace, after common.hpp.

template <class T, L1Mode Mode, bool Momentum, bool Nesterov>
void sgd_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
               typename T::State* __restrict buf, i64 n, const Sgd::Coeffs& c) {
  using M = typename T::Math;
  const M lr = c.lr, wd = c.weight_decay, mu = c.momentum, sign = c.sign;
  const M keep = c.buffer_keep, scale = c.grad_scale, l1 = c.l1;
  const M tau = M(c.lr * c.l1);  // proximal threshold: the step size times l1
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M d_p = effective_grad<Mode>(load<M>(g, i), w, sign, wd, l1);
    M step = d_p;
    if constexpr (Momentum) {
      const M b = keep * load<M>(buf, i) + scale * d_p;
      store(buf, i, b);
      step = Nesterov ? d_p + mu * b : b;
    }
    store(p, i, finish_update<Mode>(w - lr * step, tau));
  }
}

template <>
void segment_step<Sgd>(const Segment& s, const Sgd::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto p = T::param(s, lo);
    const auto g = T::grad(s, lo);
    const auto buf = T::state(s, Sgd::momentum_buffer, lo);
    with_l1_mode(c.l1_mode, [&](auto mode) {
      constexpr L1Mode Mode = decltype(mode)::value;
      if (!c.use_momentum)
        sgd_range<T, Mode, false, false>(p, g, buf, hi - lo, c);
      else if (c.nesterov)
        sgd_range<T, Mode, true, true>(p, g, buf, hi - lo, c);
      else
        sgd_range<T, Mode, true, false>(p, g, buf, hi - lo, c);
    });
  });
}
