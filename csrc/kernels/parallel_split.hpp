#pragma once
// Static work split for the per-ISA kernel sources. Include only inside
// `namespace fusedopt::FUSEDOPT_ISA_NS { namespace { ... } }`: each ISA build
// then gets its own internal copy and no symbol is shared between builds.
//
// Thread t of nt owns elements [split(t), split(t + 1)) of the concatenation of
// all tensors. Boundaries are multiples of 64 elements so two threads rarely
// write the same cache line; the split is static, so results (and the order of
// every reduction) depend on the thread count only, never on timing.

using i64 = std::int64_t;

inline i64 split(i64 total, int t, int nt) {
  if (t >= nt) return total;
  return (total * t / nt) & ~i64(63);
}

// Index of the segment holding global element `pos` (offsets are ascending).
inline i64 find_segment(const i64* offsets, i64 count, i64 pos) {
  i64 lo = 0, hi = count;  // invariant: offsets[lo] <= pos < offsets[hi]
  while (hi - lo > 1) {
    const i64 mid = lo + (hi - lo) / 2;
    if (offsets[mid] <= pos)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

// Calls body(segment_index, lo, hi) for thread t's share of every segment.
template <class Body>
void for_each_share(const i64* offsets, i64 count, int t, int nt, Body&& body) {
  const i64 begin = split(offsets[count], t, nt);
  const i64 end = split(offsets[count], t + 1, nt);
  if (begin >= end) return;
  for (i64 s = find_segment(offsets, count, begin); s < count && offsets[s] < end; ++s) {
    const i64 lo = (begin > offsets[s] ? begin : offsets[s]) - offsets[s];
    const i64 hi = (end < offsets[s + 1] ? end : offsets[s + 1]) - offsets[s];
    if (lo < hi) body(s, lo, hi);
  }
}

// One parallel region for the whole call, whatever the number of tensors.
// body(t, nt) runs once per thread.
template <class Body>
void parallel_region(int num_threads, Body&& body) {
  if (num_threads <= 1) {
    body(0, 1);
    return;
  }
#pragma omp parallel num_threads(num_threads)
  body(omp_get_thread_num(), omp_get_num_threads());
}

inline float root(float x) { return __builtin_sqrtf(x); }
inline double root(double x) { return __builtin_sqrt(x); }
inline float magnitude(float x) { return __builtin_fabsf(x); }
inline double magnitude(double x) { return __builtin_fabs(x); }

// sign(w) with sign(0) = 0 (and NaN -> 0), branch-free so loops vectorise.
template <class M>
inline M sign_of(M w) {
  return M(w > M(0)) - M(w < M(0));
}

// sign(x) * max(|x| - tau, 0); NaN stays NaN, so a diverged step still shows.
template <class M>
inline M soft_threshold(M x, M tau) {
  const M shrunk = magnitude(x) - tau;
  return shrunk < M(0) ? M(0) : (x < M(0) ? -shrunk : shrunk);
}
