// Lion's kernel (declaration: fusedopt/optimizers/lion.hpp). Include only inside
// the ISA namespace, after common.hpp.

// sign(x) with sign(0) = 0 and NaN kept, as torch.sign.
template <class M>
inline M sign_keeping_nan(M x) {
  return x != x ? x : sign_of(x);
}

template <class T, L1Mode Mode>
void lion_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                typename T::State* __restrict m, i64 n, const Lion::Coeffs& c) {
  using M = typename T::Math;
  // 1 - beta in double, then rounded once, as torch's add(alpha=1 - beta) gets it.
  const M b1 = c.beta1, one_minus_b1 = M(1.0 - c.beta1);
  const M b2 = c.beta2, one_minus_b2 = M(1.0 - c.beta2);
  const M lr = c.lr, decay = c.decay, l2 = c.l2, sign = c.sign, l1 = c.l1;
  const M tau = M(c.lr * c.l1);  // proximal threshold: the step size times l1
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, l2, l1);
    const M mi = load<M>(m, i);
    const M update = sign_keeping_nan(b1 * mi + one_minus_b1 * gi);
    store(p, i, finish_update<Mode>(w * decay - lr * update, tau));
    store(m, i, b2 * mi + one_minus_b2 * gi);
  }
}

template <>
void segment_step<Lion>(const Segment& s, const Lion::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto m = T::state(s, Lion::exp_avg, lo);
    with_l1_mode(c.l1_mode, [&](auto mode) {
      lion_range<T, decltype(mode)::value>(T::param(s, lo), T::grad(s, lo), m, hi - lo, c);
    });
  });
}
