// What nabla guarantees to programs with several threads (README "Threads"), tested here and
// run under ThreadSanitizer (scripts/test.sh --tsan): backward passes on several threads into
// shared leaves and shared non-leaves sum exactly, as in PyTorch; grad mode is per thread;
// each random call draws one contiguous part of its generator's stream; the kernels' thread
// pool and DataLoader workers serve several calling threads.
#include <nabla/data.h>
#include <nabla/nabla.h>

#include <atomic>
#include <barrier>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "support/testing.h"

using namespace nabla;

namespace {

// Runs body(i) on n threads that start together.
void on_threads(int n, const std::function<void(int)>& body) {
  std::barrier start(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      body(i);
    });
  for (auto& t : threads) t.join();
}

// The reproducer, on 8 threads: w.grad() is the exact sum of every pass's gradient.
TEST(ConcurrentBackward, EightThreadsIntoASharedLeafSumExactly) {
  constexpr int kThreads = 8, kPasses = 1000;
  Tensor w = ones({64, 64}, requires_grad());
  on_threads(kThreads, [&](int i) {
    Tensor x = full({64, 64}, static_cast<double>(i + 1));
    for (int k = 0; k < kPasses; ++k) (w * x).sum().backward();
  });
  // sum over threads of 1000 * (i + 1) = 1000 * 36: exact in float32.
  EXPECT_TRUE(equal(w.grad(), full({64, 64}, 36000.0)));
}

// A leaf first used by several threads at once gets one AccumulateGrad node, shared by all.
TEST(ConcurrentBackward, ALeafFirstUsedOnSeveralThreadsAtOnceHasOneAccumulator) {
  for (int trial = 0; trial < 50; ++trial) {
    Tensor w = zeros({8}, requires_grad());
    std::vector<std::shared_ptr<autograd::Node>> seen(4);
    on_threads(4, [&](int i) {
      Tensor y = w * static_cast<double>(i + 1);
      seen[static_cast<size_t>(i)] = y.grad_fn()->next_edge(0).function;
      y.sum().backward();
    });
    for (const auto& n : seen) EXPECT_EQ(n.get(), seen[0].get());
    ASSERT_TRUE(equal(w.grad(), full({8}, 10.0))) << "trial " << trial;
  }
}

// A non-leaf shared by the graphs of several threads, kept with retain_graph: its node runs
// on one thread at a time and every gradient reaches the leaf.
TEST(ConcurrentBackward, SharedNonLeafWithRetainGraph) {
  Tensor w = ones({16, 16}, requires_grad());
  Tensor shared = (w * 2).exp().log();  // a chain of nodes that every pass goes through
  on_threads(4, [&](int i) {
    Tensor x = full({16, 16}, static_cast<double>(i + 1));
    for (int k = 0; k < 200; ++k) (shared * x).sum().backward({}, /*retain_graph=*/true);
  });
  // d/dw of log(exp(2w)) * x = 2x; summed: 200 * 2 * (1 + 2 + 3 + 4).
  EXPECT_TRUE(allclose(w.grad(), full({16, 16}, 4000.0), 1e-5, 0));
}

// A retain_grad() hook on a shared non-leaf sums what every thread sends through it.
TEST(ConcurrentBackward, RetainGradOnASharedNonLeafSums) {
  Tensor w = ones({4}, kDouble).requires_grad_();
  Tensor shared = w * 3;
  shared.retain_grad();
  on_threads(4, [&](int i) {
    for (int k = 0; k < 100; ++k) (shared * static_cast<double>(i + 1)).sum().backward({}, true);
  });
  EXPECT_TRUE(equal(shared.grad(), full({4}, 1000.0, kDouble)));
  EXPECT_TRUE(equal(w.grad(), full({4}, 3000.0, kDouble)));
}

// autograd::grad on several threads over one graph: each gets its own result, the leaf's
// .grad() is left alone.
TEST(ConcurrentBackward, GradOnASharedGraph) {
  Tensor w = arange(6, kDouble).requires_grad_();
  Tensor y = (w * w).sum();
  std::vector<Tensor> got(4);
  on_threads(4, [&](int i) {
    for (int k = 0; k < 100; ++k) got[static_cast<size_t>(i)] = autograd::grad({y}, {w}, {}, true)[0];
  });
  for (const auto& g : got) EXPECT_TRUE(equal(g, arange(6, kDouble) * 2));
  EXPECT_FALSE(w.grad().defined());
}

// Independent graphs on eight threads give the results of one thread, bit for bit.
TEST(ConcurrentBackward, IndependentGraphsMatchOneThread) {
  auto run = [](int seed) {
    Tensor x = arange(256, kDouble).reshape({16, 16}).div(100 + seed).requires_grad_();
    Tensor y = x.matmul(x.t()).tanh().sum();
    y.backward();
    return x.grad();
  };
  std::vector<Tensor> alone, together(8);
  for (int i = 0; i < 8; ++i) alone.push_back(run(i));
  on_threads(8, [&](int i) { together[static_cast<size_t>(i)] = run(i); });
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(equal(alone[static_cast<size_t>(i)], together[static_cast<size_t>(i)]));
}

// Grad mode is per thread, as in PyTorch: NoGradGuard on one thread leaves others recording.
TEST(Threads, GradModeIsPerThread) {
  Tensor w = ones({3}, requires_grad());
  std::atomic<bool> guard_on{false}, other_done{false};
  bool recorded_in_other = false, recorded_in_guarded = true;
  std::thread guarded([&] {
    NoGradGuard no_grad;
    guard_on = true;
    while (!other_done) std::this_thread::yield();
    recorded_in_guarded = (w * 2).requires_grad();
  });
  while (!guard_on) std::this_thread::yield();
  std::thread other([&] {
    recorded_in_other = (w * 2).requires_grad();
    other_done = true;
  });
  other.join();
  guarded.join();
  EXPECT_TRUE(recorded_in_other);
  EXPECT_FALSE(recorded_in_guarded);
  EXPECT_TRUE(GradMode::is_enabled());
}

// Each random call holds its generator: concurrent calls draw whole, distinct, consecutive
// parts of the one stream — the parts a single thread would have drawn, in some order.
TEST(Threads, TheDefaultGeneratorServesSeveralThreads) {
  constexpr int kThreads = 4, kCalls = 50, kSize = 16;
  manual_seed(7);
  std::vector<std::vector<Tensor>> drawn(kThreads);
  on_threads(kThreads, [&](int i) {
    for (int k = 0; k < kCalls; ++k) drawn[static_cast<size_t>(i)].push_back(randn({kSize}, kDouble));
  });
  manual_seed(7);
  std::map<std::vector<double>, int> serial;
  for (int k = 0; k < kThreads * kCalls; ++k) {
    Tensor t = randn({kSize}, kDouble);
    std::vector<double> v(t.data_ptr<double>(), t.data_ptr<double>() + kSize);
    ++serial[v];
  }
  for (const auto& per_thread : drawn)
    for (const auto& t : per_thread) {
      std::vector<double> v(t.data_ptr<double>(), t.data_ptr<double>() + kSize);
      auto it = serial.find(v);
      ASSERT_NE(it, serial.end()) << "a draw that is not one of the serial stream's parts";
      ASSERT_GT(it->second, 0) << "a part drawn twice";
      --it->second;
    }
}

// The kernels' thread pool serves several calling threads at once: large reductions and
// elementwise ops (split over the pool) give the values they give alone.
TEST(Threads, ThePoolServesSeveralCallers) {
  Tensor a = arange(1 << 20, kDouble).div(1 << 20);
  const Tensor expected_sum = (a * a).sum();
  const Tensor expected_exp = a.exp();
  std::atomic<int> wrong{0};
  on_threads(4, [&](int) {
    for (int k = 0; k < 20; ++k) {
      if (!equal((a * a).sum(), expected_sum)) ++wrong;
      if (!equal(a.exp(), expected_exp)) ++wrong;
    }
  });
  EXPECT_EQ(wrong.load(), 0);
}

// DataLoader workers hand every example to the loop once, in order, on each of two loaders
// iterated at the same time from two threads.
TEST(Threads, DataLoaderWorkersOnTwoThreads) {
  using namespace nabla::data;
  std::vector<Tensor> got(2);
  on_threads(2, [&](int i) {
    datasets::TensorDataset ds(arange(100), arange(100) * 10);
    DataLoader loader(ds, DataLoaderOptions(8).workers(3));
    std::vector<Tensor> parts;
    for (auto& b : loader) {
      EXPECT_TRUE(equal(b.target, b.data * 10));
      parts.push_back(b.data);
    }
    got[static_cast<size_t>(i)] = cat(parts);
  });
  for (const auto& g : got) EXPECT_TRUE(equal(g, arange(100)));
}

}  // namespace
