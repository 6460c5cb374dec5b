#pragma once
// parallel_for over [begin, end) in chunks of at least `grain` elements, on nabla's own thread
// pool when the range is large enough; serial (no pool overhead) below that, inside another
// parallel region, or while the pool is busy with another caller's loop.
// See Note [Thread pool] in parallel.cpp.
#include <cstdint>

namespace nabla::kernels {

/// Elements below which a loop runs on one thread (thread start-up costs ~µs).
inline constexpr int64_t kGrainSize = 32768;

int get_num_threads();

namespace detail {
using RangeFn = void (*)(const void* ctx, int64_t begin, int64_t end);
/// Runs fn(ctx, b, e) over chunks of [begin, end) on the pool; returns false (having run
/// nothing) when the loop should run serially on the calling thread.
bool parallel_run(int64_t begin, int64_t end, int64_t grain, RangeFn fn, const void* ctx);
}  // namespace detail

/// f(b, e) is called on disjoint chunks covering [begin, end), possibly concurrently. The
/// chunks depend only on (end - begin, grain, the thread count), never on timing, so that a
/// reduction over chunks gives the same bits in every run.
template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  if (n > grain && get_num_threads() > 1) {
    auto call = [](const void* ctx, int64_t b, int64_t e) { (*static_cast<const F*>(ctx))(b, e); };
    if (detail::parallel_run(begin, end, grain, call, &f)) return;
  }
  f(begin, end);
}

/// Whether the calling thread is running a chunk of a parallel_for.
bool in_parallel_region();

}  // namespace nabla::kernels
