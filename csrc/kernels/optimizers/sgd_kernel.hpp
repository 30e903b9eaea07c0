// SGD's kernel (declaration: fusedopt/optimizers/sgd.hpp). Include only inside
// the ISA namespace, after common.hpp.

template <class P, class G, class S, class M, L1Mode Mode, bool Momentum, bool Nesterov>
void sgd_range(P* __restrict p, const G* __restrict g, S* __restrict buf, i64 n,
               const Sgd::Coeffs& c) {
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
  with_storage(s.storage, [&](auto types) {
    using T = decltype(types);
    using P = typename T::Param;
    using G = typename T::Grad;
    using S = typename T::State;
    using M = typename T::Math;
    P* p = at<P>(s.param, lo);
    const G* g = at<G>(s.grad, lo);
    S* buf = at<S>(s.state[Sgd::momentum_buffer], lo);
    const i64 n = hi - lo;
    with_l1_mode(c.l1_mode, [&](auto mode) {
      constexpr L1Mode Mode = decltype(mode)::value;
      if (!c.use_momentum)
        sgd_range<P, G, S, M, Mode, false, false>(p, g, buf, n, c);
      else if (c.nesterov)
        sgd_range<P, G, S, M, Mode, true, true>(p, g, buf, n, c);
      else
        sgd_range<P, G, S, M, Mode, true, false>(p, g, buf, n, c);
    });
  });
}
