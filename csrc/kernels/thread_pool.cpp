#include "fusedopt/thread_pool.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <new>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace fusedopt {
namespace {

using i64 = std::int64_t;

void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// A worker that has finished a chunk keeps looking for the next call this
// long before it sleeps: back-to-back steps (and the L-BFGS vector operations
// between two objective calls) then start without a wake-up, as with OpenMP's
// default spinning. Asleep, it costs the caller nothing: it is never waited for.
constexpr std::chrono::microseconds kWorkerSpin{200};
// The caller, done with its own chunks, spins this many pauses on a chunk that
// a worker is still running, then yields its core (the worker may need it).
constexpr int kCallerSpinPauses = 1024;

using Clock = std::chrono::steady_clock;
// A wait longer than this (and than half the caller's own work) is a stall.
constexpr Clock::duration kStallFloor = std::chrono::microseconds(50);
// How long the calls after a stall run on the caller alone: doubling from the
// first to the last value for stalls in a row (each probe may stall again).
constexpr Clock::duration kAloneMin = std::chrono::milliseconds(2);
constexpr Clock::duration kAloneMax = std::chrono::milliseconds(256);

// The claim word: which call (32 bits), its chunk count and the next unclaimed
// chunk (16 bits each). Packing them in one atomic lets a worker that wakes
// late tell, in the same compare-and-swap that claims a chunk, that the call
// it saw is still the current one and has chunks left.
struct Ticket {
  std::uint64_t word;
  std::uint32_t call() const noexcept { return static_cast<std::uint32_t>(word >> 32); }
  i64 count() const noexcept { return static_cast<i64>((word >> 16) & 0xffff); }
  i64 next() const noexcept { return static_cast<i64>(word & 0xffff); }
  bool has_work() const noexcept { return next() < count(); }
  static Ticket make(std::uint32_t call, i64 count) noexcept {
    return {(std::uint64_t{call} << 32) | (static_cast<std::uint64_t>(count) << 16)};
  }
};
static_assert(kMaxChunks < 0xffff, "chunk count must fit the claim word");

i64 round_up(i64 x, i64 to) noexcept { return (x + to - 1) / to * to; }

i64 run_inline(i64 count, const i64* bounds, ChunkFn fn, void* context) noexcept {
  for (i64 c = 0; c < count; ++c) fn(context, c, bounds[c], bounds[c + 1]);
  return count;
}

// Set on pool workers, and on a caller while the pool runs its call: a
// run_chunks from inside a chunk runs inline instead of waiting on itself.
thread_local bool t_inside_pool = false;

struct InsidePool {
  InsidePool() noexcept { t_inside_pool = true; }
  ~InsidePool() { t_inside_pool = false; }
};

// More workers than the CPUs this process may use (less the caller's) never
// help a memory-bound loop; each would only be woken to find nothing to do.
int usable_workers() noexcept {
  cpu_set_t cpus;
  const int n = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  return n - 1 < 255 ? n - 1 : 255;
}

class Pool {
 public:
  i64 run(int threads, i64 count, const i64* bounds, ChunkFn fn, void* context) noexcept {
    std::unique_lock<std::mutex> owner(busy_, std::try_to_lock);
    // Another thread's call holds the pool (two optimizers stepped from two
    // Python threads): run this one here, same chunks, same results.
    if (!owner || alone_for_now() || spawn_workers(threads - 1) == 0)
      return run_inline(count, bounds, fn, context);
    const InsidePool inside;
    fn_ = fn;
    context_ = context;
    bounds_ = bounds;
    finished_.store(0, std::memory_order_relaxed);
    participants_.store(threads - 1, std::memory_order_relaxed);
    const Ticket first = Ticket::make(++call_, count);
    ticket_.store(first.word, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      wake_.notify_all();
    }
    const Clock::time_point start = Clock::now();
    const i64 own_chunks = claim_and_run(first);
    const Clock::time_point own_done = Clock::now();
    wait_for_chunks(count);
    // A caller that ran no chunk (the workers took them all while it woke
    // them) has no own time to compare its wait with.
    if (own_chunks > 0) judge(own_done - start, Clock::now() - own_done);
    return count;
  }

 private:
  // Runs chunks of the call `seen` until none is left. A chunk is claimed only
  // while its call is current, so fn_, context_ and bounds_ (written before the
  // call was published) cannot change until it is finished.
  // Returns how many chunks it ran.
  i64 claim_and_run(Ticket seen) noexcept {
    const std::uint32_t call = seen.call();
    i64 ran = 0;
    while (seen.call() == call && seen.has_work()) {
      if (!ticket_.compare_exchange_weak(seen.word, seen.word + 1, std::memory_order_acquire,
                                         std::memory_order_acquire))
        continue;  // seen now holds the current word
      const i64 c = seen.next();
      fn_(context_, c, bounds_[c], bounds_[c + 1]);
      finished_.fetch_add(1, std::memory_order_release);
      ++ran;
      seen.word = ticket_.load(std::memory_order_acquire);
    }
    return ran;
  }

  // A stall: after running out of chunks the caller waited long for one that a
  // worker had claimed, which happens when the worker was descheduled (the
  // cores are oversubscribed) and costs a scheduler time slice. Then the next
  // calls run on the caller alone, for a time that doubles with every stall in
  // a row; a call without a stall resets it. The chunks, and so the results,
  // stay those of the configured thread count.
  void judge(Clock::duration own, Clock::duration waited) noexcept {
    if (waited > kStallFloor && waited > own / 2) {
      alone_until_ = Clock::now() + alone_for_;
      if (alone_for_ < kAloneMax) alone_for_ *= 2;
    } else {
      alone_for_ = kAloneMin;
    }
  }

  bool alone_for_now() const noexcept {
    return alone_until_ != Clock::time_point{} && Clock::now() < alone_until_;
  }

  void wait_for_chunks(i64 count) noexcept {
    for (int spins = 0; finished_.load(std::memory_order_acquire) != count; ++spins) {
      if (spins < kCallerSpinPauses)
        cpu_relax();
      else
        std::this_thread::yield();
    }
  }

  // Starts workers until `wanted` exist (at most max_workers_); returns how
  // many take part. A failure to start one (no threads left) is not retried.
  int spawn_workers(int wanted) noexcept {
    if (wanted > max_workers_) wanted = max_workers_;
    while (workers_ < wanted) {
      try {
        // call_ is the last call published: the new worker takes the next one.
        std::thread(&Pool::worker_loop, this, workers_, call_).detach();
      } catch (...) {
        max_workers_ = workers_;
        break;
      }
      ++workers_;
    }
    return workers_ < wanted ? workers_ : wanted;
  }

  void worker_loop(int index, std::uint32_t seen) noexcept {
    t_inside_pool = true;
    char name[16];
    std::snprintf(name, sizeof name, "fusedopt-%u", static_cast<unsigned>(index + 1) & 0xffu);
    pthread_setname_np(pthread_self(), name);
    bool spin = true;
    for (;;) {
      const Ticket t = wait_for_call(seen, spin);
      seen = t.call();
      // Workers beyond this call's thread count sleep again at once.
      spin = index < participants_.load(std::memory_order_relaxed);
      if (spin) claim_and_run(t);
    }
  }

  Ticket wait_for_call(std::uint32_t seen, bool spin) noexcept {
    if (spin) {
      const auto deadline = Clock::now() + kWorkerSpin;
      for (int k = 1;; ++k) {
        const Ticket t{ticket_.load(std::memory_order_acquire)};
        if (t.call() != seen) return t;
        cpu_relax();
        if (k % 64 == 0 && Clock::now() > deadline) break;
      }
    }
    // The caller stores the ticket, then reads sleepers_; we count ourselves,
    // then read the ticket (all seq_cst): one of the two sees the other, so a
    // call is never missed. notify_all is sent under sleep_mutex_, which we
    // hold until wait() releases it.
    std::unique_lock<std::mutex> lock(sleep_mutex_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    Ticket t{ticket_.load(std::memory_order_seq_cst)};
    while (t.call() == seen) {
      wake_.wait(lock);
      t.word = ticket_.load(std::memory_order_seq_cst);
    }
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    return t;
  }

  std::mutex busy_;  // held by the caller whose call the pool runs; guards the next six
  int workers_ = 0;
  int max_workers_ = usable_workers();
  std::uint32_t call_ = 0;
  Clock::time_point alone_until_{};
  Clock::duration alone_for_ = kAloneMin;

  // The current call, written before its ticket is published.
  ChunkFn fn_ = nullptr;
  void* context_ = nullptr;
  const i64* bounds_ = nullptr;

  alignas(64) std::atomic<std::uint64_t> ticket_{0};
  alignas(64) std::atomic<i64> finished_{0};
  std::atomic<int> participants_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
};

// The pool is never destroyed (its detached workers may be spinning while the
// process exits). A forked child has none of the parent's workers and may have
// inherited a locked mutex: it starts a new pool on its first call.
std::atomic<Pool*> g_pool{nullptr};

void forget_pool_after_fork() { g_pool.store(nullptr, std::memory_order_relaxed); }

// Registered when the library loads, before any thread can fork.
[[maybe_unused]] const bool g_fork_handler =
    pthread_atfork(nullptr, nullptr, &forget_pool_after_fork) == 0;

// nullptr if no pool can be had (out of memory): the caller then runs alone.
Pool* pool() noexcept {
  Pool* p = g_pool.load(std::memory_order_acquire);
  if (p) return p;
  Pool* fresh = new (std::nothrow) Pool;
  if (!fresh) return nullptr;
  if (g_pool.compare_exchange_strong(p, fresh, std::memory_order_acq_rel)) return fresh;
  delete fresh;  // another thread installed one first
  return p;
}

}  // namespace

i64 chunk_layout(int threads, i64 total, i64* bounds, i64 granule) noexcept {
  bounds[0] = 0;
  if (total <= 0) return 0;
  // Both are powers of two: rounding to the larger rounds to both.
  const i64 align = std::max(kChunkAlign, granule);
  const i64 parts = 2 * static_cast<i64>(threads > 1 ? threads : 0);
  // At least 1/256 of the total: with many threads the guided sizes would
  // otherwise run into kMaxChunks and leave a huge last chunk to one thread.
  const i64 smallest = round_up(std::max(kMinChunkElements, total / 256 + 1), align);
  i64 count = 0, pos = 0;
  while (pos < total) {
    const i64 left = total - pos;
    i64 size = parts ? round_up(left / parts, align) : left;
    if (size < smallest) size = smallest;
    // A tail shorter than a chunk joins this one; the last slot takes the rest.
    if (left - size < smallest || count == kMaxChunks - 1) size = left;
    pos += size;
    bounds[++count] = pos;
  }
  return count;
}

i64 run_chunks(int threads, i64 total, ChunkFn fn, void* context, i64 granule) noexcept {
  i64 bounds[kMaxChunks + 1];
  const i64 count = chunk_layout(threads, total, bounds, granule);
  Pool* p = count > 1 && !t_inside_pool ? pool() : nullptr;
  return p ? p->run(threads, count, bounds, fn, context) : run_inline(count, bounds, fn, context);
}

}  // namespace fusedopt
