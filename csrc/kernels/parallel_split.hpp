#pragma once
// Parallel loops for the per-ISA kernel sources. Include only inside
// `namespace fusedopt::FUSEDOPT_ISA_NS { namespace { ... } }`: each ISA build
// then gets its own internal copy and no symbol is shared between builds.
//
// One call = one parallel region (fusedopt/thread_pool.hpp): the concatenation
// of all tensors is cut into chunks whose boundaries depend on the total length
// and the thread count only, and threads claim chunks as they come. A reduction
// keeps one partial result per chunk and adds them in chunk order, so results
// depend on the thread count only, never on timing or on which thread ran what.

using i64 = std::int64_t;

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

// Calls body(segment_index, lo, hi) for every segment's part of the global
// range [begin, end) (lo, hi relative to the segment).
template <class Body>
void for_each_piece(const i64* offsets, i64 count, i64 begin, i64 end, Body&& body) {
  if (begin >= end) return;
  for (i64 s = find_segment(offsets, count, begin); s < count && offsets[s] < end; ++s) {
    const i64 lo = (begin > offsets[s] ? begin : offsets[s]) - offsets[s];
    const i64 hi = (end < offsets[s + 1] ? end : offsets[s + 1]) - offsets[s];
    if (lo < hi) body(s, lo, hi);
  }
}

// Calls body(chunk, begin, end) once for every chunk of [0, total), on up to
// `threads` threads; returns the number of chunks (<= kMaxChunks). Chunk
// boundaries are multiples of `granule` (thread_pool.hpp).
template <class Body>
i64 parallel_chunks(i64 total, int threads, Body body, i64 granule = 1) {
  return run_chunks(
      threads, total,
      [](void* context, i64 chunk, i64 begin, i64 end) {
        (*static_cast<Body*>(context))(chunk, begin, end);
      },
      &body, granule);
}

// Calls body(segment_index, lo, hi) for every element of the concatenated
// segments (offsets: count + 1 prefix sums), in parallel. With offsets that
// are multiples of `granule`, lo is a multiple of it in every segment.
template <class Body>
void parallel_segments(const i64* offsets, i64 count, int threads, Body&& body, i64 granule = 1) {
  parallel_chunks(
      offsets[count], threads,
      [&](i64, i64 begin, i64 end) { for_each_piece(offsets, count, begin, end, body); }, granule);
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
