#pragma once
// parallel_for over [begin, end) in chunks of at least `grain` elements, on OpenMP threads
// when the range is large enough; serial (no OpenMP overhead) below that.
#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nabla::kernels {

/// Elements below which a loop runs on one thread (thread start-up costs ~µs).
inline constexpr int64_t kGrainSize = 32768;

int get_num_threads();

template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  const int64_t n = end - begin;
  if (n <= 0) return;
#ifdef _OPENMP
  const int threads = get_num_threads();
  if (threads > 1 && n > grain && !omp_in_parallel()) {
    const int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / grain);
#pragma omp parallel num_threads(static_cast<int>(chunks))
    {
      const int64_t t = omp_get_thread_num();
      const int64_t per = (n + chunks - 1) / chunks;
      const int64_t b = begin + t * per;
      const int64_t e = std::min(end, b + per);
      if (b < e) f(b, e);
    }
    return;
  }
#endif
  f(begin, end);
}

}  // namespace nabla::kernels
