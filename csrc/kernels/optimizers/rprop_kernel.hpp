// Rprop's kernel (declaration: fusedopt/optimizers/rprop.hpp). Include only
// inside the ISA namespace, after common.hpp.

template <class T, L1Mode Mode>
void rprop_range(typename T::Param* __restrict p, const typename T::Grad* __restrict g,
                 typename T::State* __restrict prev, typename T::State* __restrict size, i64 n,
                 const Rprop::Coeffs& c) {
  using M = typename T::Math;
  const M etaminus = c.etaminus, etaplus = c.etaplus;
  const M lo = c.step_size_min, hi = c.step_size_max;
  const M l2 = c.l2, sign = c.sign, l1 = c.l1;
#pragma omp simd
  for (i64 i = 0; i < n; ++i) {
    const M w = load<M>(p, i);
    const M gi = effective_grad<Mode>(load<M>(g, i), w, sign, l2, l1);
    // The sign of the product, as torch takes it: a product that underflows
    // to 0, and a NaN (torch.sign(NaN) = 0 on the CPU), count as no sign.
    const M product = gi * load<M>(prev, i);
    const M factor = product > M(0) ? etaplus : product < M(0) ? etaminus : M(1);
    // torch's clamp(min, max): a NaN step size stays NaN.
    M s = load<M>(size, i) * factor;
    s = s < lo ? lo : s;
    s = s > hi ? hi : s;
    store(size, i, s);
    // Where the sign flipped, no move now and no sign to compare next step.
    // A NaN gradient does not move θ either (its sign is 0) and stays in prev.
    const M d = product < M(0) ? M(0) : gi;
    store(p, i, w - sign_of(d) * s);
    store(prev, i, d);
  }
}

template <>
void segment_step<Rprop>(const Segment& s, const Rprop::Coeffs& c, i64 lo, i64 hi) {
  with_storage(s, [&](auto types) {
    using T = decltype(types);
    const auto p = T::param(s, lo);
    const auto g = T::grad(s, lo);
    const auto prev = T::state(s, Rprop::prev, lo);
    const auto size = T::state(s, Rprop::step_size, lo);
    if (c.l1 != 0.0)
      rprop_range<T, L1Mode::subgradient>(p, g, prev, size, hi - lo, c);
    else
      rprop_range<T, L1Mode::none>(p, g, prev, size, hi - lo, c);
  });
}
