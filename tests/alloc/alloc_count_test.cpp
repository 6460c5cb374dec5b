// Counts calls to the system allocator during steady-state training steps (no allocation on
// the hot path). The malloc family is interposed for this program alone (it is built without
// sanitizers, whose own allocator would be replaced), and calls are counted only while a step
// runs. Tensor storage is the one user of aligned_alloc (src/core/storage.cpp), so its calls
// are counted apart: the caching allocator must make none. The other calls (autograd's edge
// and saved-tensor vectors) are held to their measured count, a ratchet to lower as they go;
// oneDNN's scratch (posix_memalign) is reported.
#include <gtest/gtest.h>
#include <nabla/nabla.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_calls{0};
std::atomic<long> g_aligned_calls{0};
inline void count() {
  if (g_counting.load(std::memory_order_relaxed)) g_calls.fetch_add(1, std::memory_order_relaxed);
}
// posix_memalign/memalign: oneDNN's GEMM scratch, whose count depends on the kernels it picks
// for the CPU; reported, not bounded.
std::atomic<long> g_library_calls{0};
inline void count_library() {
  if (g_counting.load(std::memory_order_relaxed)) g_library_calls.fetch_add(1, std::memory_order_relaxed);
}
inline void count_aligned() {
  if (g_counting.load(std::memory_order_relaxed)) g_aligned_calls.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t m) {
  count();
  return __libc_calloc(n, m);
}
void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t a, size_t n) {
  count();
  count_aligned();
  return __libc_memalign(a, n);
}
int posix_memalign(void** p, size_t a, size_t n) {
  count_library();
  *p = __libc_memalign(a, n);
  return *p ? 0 : 12;  // ENOMEM
}
void* memalign(size_t a, size_t n) {
  count_library();
  return __libc_memalign(a, n);
}
void free(void* p) { __libc_free(p); }
}

namespace {

struct Calls {
  long all;      // malloc, calloc, realloc, aligned_alloc
  long library;  // posix_memalign, memalign
  long storage;  // aligned_alloc: tensor storage
};

// Calls to the allocator made by `steps` runs of fn, after `warmup` runs.
template <typename F>
Calls allocator_calls(int warmup, int steps, const F& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  g_calls = 0;
  g_aligned_calls = 0;
  g_library_calls = 0;
  g_counting = true;
  for (int i = 0; i < steps; ++i) fn();
  g_counting = false;
  return {g_calls.load(), g_library_calls.load(), g_aligned_calls.load()};
}

TEST(SteadyState, CountingSeesAllocations) {
  // The counter itself works: a step that allocates is seen.
  const Calls calls = allocator_calls(0, 3, [] {
    void* p = std::malloc(64);
    std::free(p);
    p = std::aligned_alloc(64, 128);
    std::free(p);
  });
  EXPECT_EQ(calls.all, 6);
  EXPECT_EQ(calls.library, 0);
  EXPECT_EQ(calls.storage, 3);
  // A tensor whose storage cannot come from the cache (a size not seen before) is seen too.
  const Calls fresh = allocator_calls(0, 1, [] { (void)nabla::empty({12345}); });
  EXPECT_EQ(fresh.storage, 1);
}

TEST(SteadyState, MlpTrainingStepMakesNoAllocatorCalls) {
  namespace nn = nabla::nn;
  nabla::set_num_threads(1);
  nabla::manual_seed(0);
  nn::Sequential model{nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10)};
  nabla::optim::SGD opt(model->parameters(), nabla::optim::SGDOptions(0.01).momentum(0.9));
  const auto x = nabla::rand({64, 784});
  const auto y = nabla::randint(0, 10, {64});
  auto step = [&] {
    opt.zero_grad();
    auto loss = nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
  };
  const Calls calls = allocator_calls(5, 10, step);
  EXPECT_EQ(calls.storage, 0) << "tensor storage allocations in 10 steady-state steps";
  // Measured: 57 calls per step, all autograd's per-node vectors (a ratchet: lower it as they
  // go), plus oneDNN's scratch, printed.
  EXPECT_LE(calls.all, 10 * 57) << "allocator calls in 10 steady-state steps";
  std::printf("per step: %.1f malloc-family calls, %.1f posix_memalign calls (oneDNN)\n", calls.all / 10.0,
              calls.library / 10.0);
}

}  // namespace
