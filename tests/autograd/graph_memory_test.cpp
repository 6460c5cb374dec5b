// Deep graphs run and die without recursion; backward frees what the graph saved.
#include <cmath>

#include "support/testing.h"

using namespace nabla;

TEST(GraphMemory, MillionOpChainBackward) {
  auto x = ones({1}, kFloat).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 1000000; ++i) y = (i % 2 == 0) ? y * 1.0000001 : y + 1;
  y.backward();
  ASSERT_TRUE(x.grad().defined());
  // The same float products backward computes: d(y * c)/dy = c, d(y + 1)/dy = 1.
  float expected = 1;
  for (int i = 0; i < 500000; ++i) expected *= 1.0000001f;
  EXPECT_NEAR(x.grad().item<double>(), expected, 1e-5 * expected);
}

TEST(GraphMemory, MillionOpChainDestroyedWithoutBackward) {
  auto x = ones({1}, kFloat).requires_grad_();
  {
    Tensor y = x;
    for (int i = 0; i < 1000000; ++i) y = y * y;  // saves its inputs: tensors hold nodes too
  }
  auto z = x * 2;
  EXPECT_EQ(z.grad_fn()->next_edge(0).function->name(), "torch::autograd::AccumulateGrad");
}

TEST(GraphMemory, BackwardReleasesSavedTensors) {
  const int64_t before = memory::allocated_bytes();
  auto x = ones({1 << 16}, kFloat).requires_grad_();
  Tensor loss;
  {
    Tensor h = x;
    for (int i = 0; i < 8; ++i) h = h * h + h;  // each Mul saves 256 KiB tensors
    loss = h.sum();
  }
  const int64_t with_graph = memory::allocated_bytes();
  EXPECT_GE(with_graph - before, 8 * (int64_t{1} << 18));  // x and the 7 saved intermediates
  loss.backward();
  const int64_t after = memory::allocated_bytes();
  // Left: x, x.grad and loss (plus scalars); the saved intermediates are gone even though the
  // graph (loss.grad_fn) is still referenced.
  EXPECT_LT(after - before, 3 * (int64_t{1} << 18));
  EXPECT_TRUE(loss.grad_fn());
}

TEST(GraphMemory, RetainGraphKeepsSavedTensorsUntilGraphDies) {
  auto x = ones({1 << 16}, kFloat).requires_grad_();
  const int64_t before = memory::allocated_bytes();
  Tensor loss = (x * x * x).sum();
  loss.backward({}, true);
  const int64_t kept = memory::allocated_bytes();
  EXPECT_GE(kept - before, 2 * (int64_t{1} << 18));  // x * x is still saved (and x.grad exists)
  loss = Tensor();
  x.mutable_grad() = Tensor();
  EXPECT_LE(memory::allocated_bytes(), before);
}
