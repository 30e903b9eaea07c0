// Shared pieces of the optimizer kernels. Include only inside
// `namespace fusedopt::FUSEDOPT_ISA_NS { namespace { ... } }` after
// parallel_split.hpp (see optim_kernels.cpp).

// The per-tensor kernel of optimizer Opt: updates elements [lo, hi) of one
// segment. Each csrc/kernels/optimizers/<name>.hpp specialises it.
template <class Opt>
void segment_step(const Segment& s, const typename Opt::Coeffs& c, i64 lo, i64 hi);

// The storage types of one Storage combination, its math type M, and a
// segment's buffers from element lo on, typed.
template <class P, class G, class S, class M>
struct Types {
  using Param = P;
  using Grad = G;
  using State = S;
  using Math = M;

  static P* param(const Segment& s, i64 lo) { return static_cast<P*>(s.param) + lo; }
  static const G* grad(const Segment& s, i64 lo) { return static_cast<const G*>(s.grad) + lo; }
  // nullptr when the options do not use buffer k.
  static S* state(const Segment& s, int k, i64 lo) {
    return s.state[k] ? static_cast<S*>(s.state[k]) + lo : nullptr;
  }
};

// Calls f(Types<...>{}) for the segment's storage combination.
template <class F>
void with_storage(const Segment& s, F&& f) {
  switch (s.plan.storage) {
    case Storage::f32:
      return f(Types<float, float, float, float>{});
    case Storage::f64:
      return f(Types<double, double, double, double>{});
    case Storage::bf16:
      return f(Types<bf16, bf16, bf16, float>{});
    case Storage::f16:
      return f(Types<f16, f16, f16, float>{});
  }
}

// Element i of a buffer in the math type M, and back (rounded to nearest
// even for the 16-bit types: half_bits.hpp).
template <class M, class S>
inline M load(const S* p, i64 i) {
  return static_cast<M>(p[i]);
}
template <class M>
inline M load(const bf16* p, i64 i) {
  return static_cast<M>(to_float(p[i]));
}
template <class M>
inline M load(const f16* p, i64 i) {
  return static_cast<M>(to_float(p[i]));
}
template <class S, class M>
inline void store(S* p, i64 i, M x) {
  p[i] = static_cast<S>(x);
}
template <class M>
inline void store(bf16* p, i64 i, M x) {
  p[i] = to_bf16(static_cast<float>(x));
}
template <class M>
inline void store(f16* p, i64 i, M x) {
  p[i] = to_f16(static_cast<float>(x));
}

// The gradient the optimizer sees: the sign-adjusted data gradient, the
// coupled weight decay (which includes a regularizer's L2 part) and, in
// subgradient mode, the L1 part. The regularizer pulls towards zero also when
// maximizing, as torch's weight_decay does.
//
// A zero weight decay must not multiply w: torch skips the term, and 0 * inf
// would turn an infinite parameter's gradient into NaN.
template <L1Mode Mode, class M>
inline M effective_grad(M g, M w, M sign, M wd, M l1) {
  const M d = wd != M(0) ? sign * g + wd * w : sign * g;
  if constexpr (Mode == L1Mode::subgradient) return d + l1 * sign_of(w);
  return d;
}

template <L1Mode Mode, class M>
inline M finish_update(M w_new, M tau) {
  if constexpr (Mode == L1Mode::proximal) return soft_threshold(w_new, tau);
  return w_new;
}

template <L1Mode M>
struct ModeTag {
  static constexpr L1Mode value = M;
};

// Calls f(ModeTag<mode>{}) so the L1 mode is a compile-time constant inside
// the inner loops.
template <class F>
void with_l1_mode(L1Mode mode, F&& f) {
  switch (mode) {
    case L1Mode::subgradient:
      return f(ModeTag<L1Mode::subgradient>{});
    case L1Mode::proximal:
      return f(ModeTag<L1Mode::proximal>{});
    case L1Mode::none:
      return f(ModeTag<L1Mode::none>{});
  }
}
