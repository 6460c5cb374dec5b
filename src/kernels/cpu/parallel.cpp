#include "kernels/cpu/parallel.h"

#include <atomic>
#include <cstdlib>
#include <thread>

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
    // OpenBLAS stays single-threaded: large products are split over nabla's own threads
    // (Note [Threaded GEMM] in kernels/cpu/blas.cpp).
    openblas_set_num_threads(1);
    return initial_threads();
  }();
  return n;
}
}  // namespace

void set_num_threads(int n) {
  NABLA_CHECK(n > 0, "set_num_threads expects a positive integer");
  threads().store(n);
}

int get_num_threads() { return threads().load(std::memory_order_relaxed); }

namespace kernels {
int get_num_threads() { return nabla::get_num_threads(); }
}  // namespace kernels

}  // namespace nabla
