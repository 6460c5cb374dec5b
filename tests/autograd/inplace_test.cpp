// In-place ops in the graph: version checks, leaves, and in-place ops on views (CopySlices).
#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {
Tensor leaf(IntArrayRef shape, int seed, ScalarType dt = kDouble) { return sample(shape, dt, seed).requires_grad_(); }
}  // namespace

TEST(InPlace, ModifiedSavedOutputError) {
  auto x = leaf({2}, 1, kFloat);
  auto s = x.sigmoid();
  s.mul_(2);
  const char* code = "s = x.sigmoid(); s.mul_(2); s.sum().backward()";
  EXPECT_EQ(error_message([&] { s.sum().backward(); }), oracle::error_of(code, {{"x", x}}));
}

TEST(InPlace, ModifiedSavedInputError) {
  auto x = leaf({2}, 2, kFloat);
  auto q = x * 2;
  auto r = q * q;
  q.add_(1);
  const char* code = "q = x * 2; r = q * q; q.add_(1); r.sum().backward()";
  EXPECT_EQ(error_message([&] { r.sum().backward(); }), oracle::error_of(code, {{"x", x}}));
}

TEST(InPlace, ModifiedLeafUnderNoGradError) {
  auto x = leaf({3}, 3, kDouble);
  auto y = x * x;
  {
    NoGradGuard g;
    x.mul_(2);
  }
  const char* code = "y = x * x\nwith torch.no_grad():\n  x.mul_(2)\ny.sum().backward()";
  EXPECT_EQ(error_message([&] { y.sum().backward(); }), oracle::error_of(code, {{"x", x}}));
}

TEST(InPlace, InPlaceOnNonLeafGradients) {
  auto x = leaf({3}, 4);
  auto y = x * 2;
  y.mul_(3);
  y.add_(x);
  y.sum().backward();
  auto ref = oracle::run(
      "y = x * 2; y.mul_(3); y.add_(x); y.sum().backward()\n"
      "out = (y, x.grad, y.grad_fn.name(), y._version)",
      {{"x", x}});
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
  EXPECT_EQ(y.grad_fn()->name(), ref.strings[2]);
  EXPECT_EQ(y._version(), ref.tensor(3).item<int64_t>());
}

TEST(InPlace, SelfAsOtherArgumentIsNotCopied) {
  // y.mul_(y): the old value of self is kept, but `other` is y itself, modified afterwards.
  auto x = leaf({3}, 5);
  auto y = x * 2;
  y.mul_(y);
  EXPECT_EQ(error_message([&] { y.sum().backward(); }),
            oracle::error_of("y = x * 2; y.mul_(y); y.sum().backward()", {{"x", x}}));
}

TEST(InPlace, ViewOfLeafError) {
  auto x = leaf({4}, 5);
  auto v = x.view({2, 2});
  EXPECT_EQ(error_message([&] { v.mul_(2); }), oracle::error_of("x.view(2, 2).mul_(2)", {{"x", x}}));
  auto s = x.select(0, 1);
  EXPECT_EQ(error_message([&] { s.add_(1); }), oracle::error_of("x[1].add_(1)", {{"x", x}}));
}

TEST(InPlace, OnViewRewritesBaseHistory) {
  auto x = leaf({2, 3}, 6);
  auto w = leaf({3}, 7);
  auto b = x * 1;
  auto v = b.select(0, 1);
  v.mul_(w);
  ASSERT_EQ(v.grad_fn()->next_edges().size(), 1u);
  EXPECT_EQ(v.grad_fn()->next_edge(0).function, b.grad_fn());
  ASSERT_EQ(b.grad_fn()->next_edges().size(), 2u);
  auto out = (b * b).sum() + v.sum() * 3;
  out.backward();
  auto ref = oracle::run(
      "b = x * 1; v = b[1]; v.mul_(w)\n"
      "names = (b.grad_fn.name(), v.grad_fn.name(), b.grad_fn.next_functions[0][0].name(),\n"
      "         b.grad_fn.next_functions[1][0].name())\n"
      "out = (b * b).sum() + v.sum() * 3; out.backward()\n"
      "out = (b, x.grad, w.grad) + names",
      {{"x", x}, {"w", w}});
  EXPECT_SAME(b.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
  EXPECT_SAME(w.grad(), ref.tensor(2));
  EXPECT_EQ(b.grad_fn()->name(), ref.strings[3]);
  EXPECT_EQ(v.grad_fn()->name(), ref.strings[4]);
  EXPECT_EQ(b.grad_fn()->next_edge(0).function->name(), ref.strings[5]);
  EXPECT_EQ(b.grad_fn()->next_edge(1).function->name(), ref.strings[6]);
}

TEST(InPlace, OtherViewsSeeTheNewHistory) {
  auto x = leaf({4}, 8);
  auto b = x * 1;
  auto v = b.slice(0, 1, 4);
  auto v2 = b.view({2, 2});  // made before the in-place op
  v.mul_(5);
  EXPECT_EQ(v2.grad_fn()->name(), "AsStridedBackward0");
  (v2 * sample({2, 2}, kDouble, 9)).sum().backward();
  auto ref = oracle::run(
      "b = x * 1; v = b[1:]; v2 = b.view(2, 2); v.mul_(5); name = v2.grad_fn.name()\n"
      "(v2 * c).sum().backward(); out = (x.grad, name)",
      {{"x", x}, {"c", sample({2, 2}, kDouble, 9)}});
  EXPECT_SAME(x.grad(), ref.tensor(0));
  EXPECT_EQ(ref.strings[1], "AsStridedBackward0");
}

TEST(InPlace, ViewOfTensorWithoutGradGetsHistoryFromOperand) {
  auto w = leaf({3}, 10);
  auto b = zeros({2, 3}, kDouble);
  auto v = b.select(0, 0);
  v.add_(w * 2);
  EXPECT_TRUE(b.requires_grad());
  EXPECT_EQ(b.grad_fn(), v.grad_fn()->next_edge(0).function);
  (b * b).sum().backward();
  auto ref = oracle::run(
      "b = torch.zeros(2, 3, dtype=torch.float64); v = b[0]; v.add_(w * 2)\n"
      "(b * b).sum().backward(); out = (b, w.grad)",
      {{"w", w}});
  EXPECT_SAME(b.detach(), ref.tensor(0));
  EXPECT_SAME(w.grad(), ref.tensor(1));
}

TEST(InPlace, InPlaceOnBaseRegeneratesViewGradFn) {
  auto x = leaf({2, 2}, 11);
  auto b = x * 2;
  auto v = b.transpose(0, 1);
  b.mul_(3);
  auto out = (v * sample({2, 2}, kDouble, 12)).sum();
  out.backward();
  auto ref = oracle::run("b = x * 2; v = b.t(); b.mul_(3); (v * c).sum().backward(); out = (x.grad, v.grad_fn.name())",
                         {{"x", x}, {"c", sample({2, 2}, kDouble, 12)}});
  EXPECT_SAME(x.grad(), ref.tensor(0));
  EXPECT_EQ(v.grad_fn()->name(), ref.strings[1]);
}

TEST(InPlace, GradcheckThroughCopySlices) {
  auto x = leaf({3, 2}, 13);
  auto w = leaf({2}, 14);
  auto fn = [](const autograd::variable_list& in) {
    auto b = in[0] * 1;
    b.select(0, 2).mul_(in[1]);
    b.select(1, 0).add_(in[1].sum());
    return b * b;
  };
  EXPECT_TRUE(autograd::gradcheck(fn, {x, w}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x, w}));
}
