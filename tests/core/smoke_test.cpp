#include "support/testing.h"

using namespace nabla;
using nabla::testing::same;

TEST(Smoke, AddMatchesTorch) {
  auto a = nabla::testing::sample({2, 3}, kFloat, 1);
  auto b = nabla::testing::sample({3}, kFloat, 2);
  EXPECT_SAME(a + b, oracle::eval("a + b", {{"a", a}, {"b", b}}));
}

TEST(Smoke, BackwardOfMulSum) {
  auto x = nabla::testing::sample({2, 3}, kDouble, 3).requires_grad_();
  auto w = nabla::testing::sample({3}, kDouble, 4).requires_grad_();
  auto y = (x * w).sum();
  y.backward();
  auto ref = oracle::run("y = (x * w).sum(); y.backward(); out = (y, x.grad, w.grad)", {{"x", x}, {"w", w}});
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
  EXPECT_SAME(w.grad(), ref.tensor(2));
  EXPECT_EQ(y.grad_fn()->name(), "SumBackward0");
}
