#include "kernels/cpu/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "nabla/error.h"
#include "nabla/parallel.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace nabla {

namespace {
int initial_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

std::atomic<int>& threads() {
  static std::atomic<int> n = [] {
    // OpenBLAS and oneDNN stay single-threaded: large products are split over nabla's own
    // threads (Note [Threaded GEMM] in kernels/cpu/blas.cpp).
    openblas_set_num_threads(1);
    return initial_threads();
  }();
  return n;
}

// Note [Thread pool]
// All of nabla's parallelism runs on one pool of (threads - 1) workers plus the calling
// thread; OpenBLAS and oneDNN are only ever called single-threaded, so set_num_threads is the
// whole budget. Two properties matter on a shared machine (issue: a busy machine made
// OpenMP's spinning threads 3x slower than one thread):
// - Idle workers spin only briefly (kSpin) after a loop, then sleep on a futex: a machine
//   whose cores another process keeps busy loses at most that much per loop to them.
// - A loop is cut into more chunks than threads and the chunks are claimed one at a time by
//   whoever is free, the caller included. A worker that the OS has not scheduled simply
//   claims nothing, and the caller runs the whole loop: two threads are then no slower than
//   one. The chunk boundaries are fixed by (n, grain, threads) alone, so results do not
//   depend on which thread ran what.
// - A worker can still claim a chunk and then lose its core to another process in the middle
//   of it; the caller then waits for it (sleeping on a futex after a short spin, so that the
//   worker can have the core back). When such a wait outlasts the caller's own share of the
//   loop, the machine is taken to be busy: for the next kBackoff (doubling while it stays
//   busy, up to kMaxBackoff) loops run their chunks one after another on the caller, in the
//   same boundaries, so the bits are those of the parallel run.
// The pool runs one loop at a time: a loop started while it is busy (another user thread, or
// a nested parallel_for inside a chunk) runs serially on its caller.
constexpr int64_t kChunksPerThread = 4;
constexpr auto kSpin = std::chrono::microseconds(50);
constexpr auto kBackoff = std::chrono::milliseconds(20);
constexpr auto kMaxBackoff = std::chrono::milliseconds(2000);
using Clock = std::chrono::steady_clock;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

thread_local bool t_in_region = false;

// The state word: generation (high 32 bits), chunk count (16 bits), next chunk (low 16 bits);
// one word, so that a claim (compare-exchange) sees the job it belongs to.
constexpr uint64_t kIdxMask = 0xffff;
inline uint64_t gen_of(uint64_t s) { return s >> 32; }
inline uint64_t count_of(uint64_t s) { return (s >> 16) & kIdxMask; }
inline uint64_t next_of(uint64_t s) { return s & kIdxMask; }

class Pool {
 public:
  static Pool& get() {
    static Pool* pool = new Pool();  // never destroyed: workers may outlive static destructors
    return *pool;
  }

  static int64_t chunk_count(int64_t n, int64_t grain, int nthreads) {
    const int64_t by_grain = (n + grain - 1) / grain;
    return std::min<int64_t>({by_grain, int64_t{nthreads} * kChunksPerThread, static_cast<int64_t>(kIdxMask)});
  }

  bool run(int64_t begin, int64_t end, int64_t grain, kernels::detail::RangeFn fn, const void* ctx, int nthreads) {
    std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    const int64_t n = end - begin;
    const int64_t chunks = chunk_count(n, grain, nthreads);
    const auto t0 = Clock::now();
    if (t0 < serial_until_) {  // the machine is busy: the same chunks, on this thread
      struct Region {
        Region() { t_in_region = true; }
        ~Region() { t_in_region = false; }
      } region;
      for (int64_t c = 0; c < chunks; ++c) fn(ctx, begin + n * c / chunks, begin + n * (c + 1) / chunks);
      return true;
    }
    ensure_workers(nthreads - 1);
    begin_ = begin;
    n_ = n;
    chunks_ = chunks;
    fn_ = fn;
    ctx_ = ctx;
    error_ = nullptr;
    done_.store(0, std::memory_order_relaxed);
    active_limit_.store(nthreads - 1, std::memory_order_relaxed);
    const uint64_t gen = gen_of(state_.load(std::memory_order_relaxed)) + 1;
    state_.store((gen << 32) | (static_cast<uint64_t>(chunks) << 16), std::memory_order_release);
    state_.notify_all();
    t_in_region = true;
    work(gen);
    t_in_region = false;
    // Wait for the chunks other threads claimed: spin briefly, then sleep.
    const auto t1 = Clock::now();
    for (int spins = 0; done_.load(std::memory_order_acquire) < chunks; ++spins) {
      if (spins < 2048) {
        cpu_relax();
        continue;
      }
      waiting_.store(true);
      const int64_t d = done_.load();
      if (d < chunks) done_.wait(d);
    }
    waiting_.store(false, std::memory_order_relaxed);
    const auto t2 = Clock::now();
    if (t2 - t1 > std::max<Clock::duration>(t1 - t0, std::chrono::microseconds(200))) {
      serial_until_ = t2 + backoff_;
      backoff_ = std::min<Clock::duration>(backoff_ * 2, kMaxBackoff);
    } else {
      backoff_ = kBackoff;
    }
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  Pool() = default;

  void ensure_workers(int want) {
    while (static_cast<int>(workers_) < want) {
      const int id = static_cast<int>(workers_);
      std::thread([this, id] { loop(id); }).detach();
      ++workers_;
    }
  }

  // Claims and runs chunks of generation `gen` until none is left.
  void work(uint64_t gen) {
    uint64_t s = state_.load(std::memory_order_acquire);
    while (gen_of(s) == gen && next_of(s) < count_of(s)) {
      if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      const int64_t c = static_cast<int64_t>(next_of(s));
      const int64_t b = begin_ + n_ * c / chunks_, e = begin_ + n_ * (c + 1) / chunks_;
      try {
        fn_(ctx_, b, e);
      } catch (...) {
        std::lock_guard<std::mutex> g(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
      done_.fetch_add(1);
      if (waiting_.load()) done_.notify_all();
      s = state_.load(std::memory_order_acquire);
    }
  }

  [[noreturn]] void loop(int id) {
    // Anything a worker calls into that uses OpenMP (oneDNN) stays on this thread.
    omp_set_num_threads(1);
    t_in_region = true;
    uint64_t seen = gen_of(state_.load(std::memory_order_acquire));
    for (;;) {
      uint64_t s = state_.load(std::memory_order_acquire);
      const auto start = std::chrono::steady_clock::now();
      int spins = 0;
      while (gen_of(s) == seen) {
        if (++spins % 64 == 0 && std::chrono::steady_clock::now() - start > kSpin) {
          state_.wait(s, std::memory_order_acquire);
        } else {
          cpu_relax();
        }
        s = state_.load(std::memory_order_acquire);
      }
      seen = gen_of(s);
      // Workers beyond the current thread count (set_num_threads lowered it) sit out.
      if (id < active_limit_.load(std::memory_order_relaxed)) work(seen);
    }
  }

  std::mutex busy_;
  unsigned workers_ = 0;
  std::atomic<uint64_t> state_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int> active_limit_{0};
  std::atomic<bool> waiting_{false};        // the caller sleeps on done_
  Clock::time_point serial_until_{};        // Note [Thread pool]: busy machine, run serially
  Clock::duration backoff_ = kBackoff;
  int64_t begin_ = 0, n_ = 0, chunks_ = 1;
  kernels::detail::RangeFn fn_ = nullptr;
  const void* ctx_ = nullptr;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};
}  // namespace

void set_num_threads(int n) {
  NABLA_CHECK(n > 0, "set_num_threads expects a positive integer");
  threads().store(n);
}

int get_num_threads() { return threads().load(std::memory_order_relaxed); }

namespace kernels {
int get_num_threads() { return nabla::get_num_threads(); }

bool in_parallel_region() { return t_in_region; }

namespace detail {
bool parallel_run(int64_t begin, int64_t end, int64_t grain, RangeFn fn, const void* ctx) {
  if (t_in_region) return false;
  return Pool::get().run(begin, end, grain, fn, ctx, get_num_threads());
}
}  // namespace detail
}  // namespace kernels

}  // namespace nabla
