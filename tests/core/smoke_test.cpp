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

TEST(Smoke, GradcheckArithmeticWithBroadcastAndTranspose) {
  auto a = nabla::testing::sample({2, 3}, kDouble, 5).requires_grad_();
  auto b = nabla::testing::sample_positive({3, 1}, kDouble, 6).requires_grad_();
  auto fn = [](const autograd::variable_list& in) { return (in[0] * in[1].t() - in[0] / in[1].t()).sum(1); };
  EXPECT_TRUE(autograd::gradcheck(fn, {a, b}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {a, b}));
}
