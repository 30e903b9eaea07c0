#pragma once
// The one parallel region of a fused call: its range cut into chunks that the
// calling thread and pooled workers claim one at a time.
//
// Why not `#pragma omp parallel`: its closing barrier waits for every thread of
// the team. When the cores are shared (data loading, torch's intra-op threads,
// other jobs) a worker is often descheduled, and the caller then waits a whole
// scheduler time slice (milliseconds) for it: a 30 µs step took 12 ms. Here the
// caller waits only for chunks a worker has actually started; a worker that is
// asleep or wakes late finds nothing left and the caller has done the work, at
// single-threaded speed at worst.
//
// Chunk boundaries depend only on the range's length and the thread count, never
// on timing or on which thread runs a chunk: a reduction that keeps one partial
// result per chunk and adds them in chunk order is deterministic for a given
// thread count.
#include <cstdint>

namespace fusedopt {

// Upper bound on the chunks of one call (size partial-result arrays with it).
inline constexpr int kMaxChunks = 512;

// Chunks are multiples of this many elements (cache lines are never shared
// between chunks of 4- or 8-byte elements) and at least kMinChunkElements long.
inline constexpr std::int64_t kChunkAlign = 64;
inline constexpr std::int64_t kMinChunkElements = 4096;

// fn(context, chunk, begin, end) for one chunk [begin, end) of [0, total).
using ChunkFn = void (*)(void* context, std::int64_t chunk, std::int64_t begin, std::int64_t end);

// Calls fn once for every chunk of [0, total) and returns when all have run.
// Every chunk boundary is a multiple of `granule` (a power of two; total must
// be a multiple of it): blockwise state keeps its blocks whole.
// At most `threads` threads take part (the caller included); threads <= 1, a
// total that makes a single chunk, or a pool already busy with another caller's
// call run every chunk on the calling thread, with the same chunk boundaries.
// Returns the number of chunks (0 when total <= 0). fn must not throw.
std::int64_t run_chunks(int threads, std::int64_t total, ChunkFn fn, void* context,
                        std::int64_t granule = 1) noexcept;

// The chunk layout run_chunks uses: writes the count + 1 boundaries of the
// chunks of [0, total) for `threads` threads to bounds (room for kMaxChunks + 1)
// and returns the count. Guided: each chunk is 1/(2 * threads) of what is left
// (rounded to kChunkAlign and to `granule`, at least kMinChunkElements), so early chunks are
// large (little claiming overhead) and the last ones small (the threads finish
// together).
std::int64_t chunk_layout(int threads, std::int64_t total, std::int64_t* bounds,
                          std::int64_t granule = 1) noexcept;

}  // namespace fusedopt
