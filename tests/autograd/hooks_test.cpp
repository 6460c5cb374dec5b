// Tensor hooks and retain_grad, against PyTorch.
#include "support/testing.h"

using namespace nabla;
using nabla::testing::sample;

namespace {
Tensor leaf(IntArrayRef shape, int seed) { return sample(shape, kDouble, seed).requires_grad_(); }
}  // namespace

TEST(Hooks, NonLeafHookReplacesGradient) {
  auto x = leaf({3}, 1);
  auto y = x * 2;
  y.register_hook([](const Tensor& g) { return g * 10; });
  (y * y).sum().backward();
  auto ref =
      oracle::run("y = x * 2; y.register_hook(lambda g: g * 10); (y * y).sum().backward(); out = x.grad", {{"x", x}});
  EXPECT_SAME(x.grad(), ref.tensor());
}

TEST(Hooks, LeafHookAndRemoval) {
  auto x = leaf({3}, 2);
  unsigned h = x.register_hook([](const Tensor& g) { return g * 3; });
  (x * x).sum().backward();
  auto ref = oracle::run(
      "h = x.register_hook(lambda g: g * 3); (x * x).sum().backward(); g1 = x.grad.clone()\n"
      "h.remove(); x.grad = None; (x * x).sum().backward(); out = (g1, x.grad)",
      {{"x", x}});
  EXPECT_SAME(x.grad(), ref.tensor(0));
  x.remove_hook(h);
  x.mutable_grad() = Tensor();
  (x * x).sum().backward();
  EXPECT_SAME(x.grad(), ref.tensor(1));
}

TEST(Hooks, VoidHooksSeeGradientInRegistrationOrder) {
  auto x = leaf({2}, 3);
  auto y = x * 3;
  std::vector<std::string> order;
  Tensor seen;
  y.register_hook([&](const Tensor& g) {
    order.push_back("first");
    seen = g.clone();
  });
  y.register_hook([&](const Tensor& g) {
    order.push_back("second");
    return g * 2;
  });
  y.register_hook([&](const Tensor&) { order.push_back("third"); });
  (y * y).sum().backward();
  ASSERT_EQ(order, (std::vector<std::string>{"first", "second", "third"}));
  auto ref = oracle::run(
      "y = x * 3; seen = []\n"
      "y.register_hook(lambda g: seen.append(g.clone()))\n"
      "y.register_hook(lambda g: g * 2)\n"
      "(y * y).sum().backward(); out = (seen[0], x.grad)",
      {{"x", x}});
  EXPECT_SAME(seen, ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
}

TEST(Hooks, RemoveNonLeafHook) {
  auto x = leaf({2}, 4);
  auto y = x * 3;
  unsigned h = y.register_hook([](const Tensor& g) { return g * 100; });
  y.remove_hook(h);
  y.sum().backward();
  EXPECT_SAME(x.grad(), oracle::eval("torch.full_like(x, 3.)", {{"x", x.detach()}}));
}

TEST(Hooks, RetainGradAndHookOrder) {
  const char* code =
      "y = x * 2\n"
      "if first == 1:\n  y.register_hook(lambda g: g * 10); y.retain_grad()\n"
      "else:\n  y.retain_grad(); y.register_hook(lambda g: g * 10)\n"
      "y.sum().backward(); out = (y.grad, x.grad)";
  for (int first : {1, 0}) {
    auto x = leaf({2}, 5);
    auto y = x * 2;
    if (first == 1) {
      y.register_hook([](const Tensor& g) { return g * 10; });
      y.retain_grad();
    } else {
      y.retain_grad();
      y.register_hook([](const Tensor& g) { return g * 10; });
    }
    y.sum().backward();
    auto ref = oracle::run(code, {{"x", x}, {"first", scalar_tensor(first)}});
    EXPECT_SAME(y.grad(), ref.tensor(0)) << "hook registered first: " << first;
    EXPECT_SAME(x.grad(), ref.tensor(1));
    EXPECT_TRUE(y.retains_grad());
  }
}

TEST(Hooks, RetainGradAccumulatesAndFollowsInPlace) {
  auto x = leaf({2}, 6);
  auto y = x * 2;
  y.retain_grad();
  auto s = (y * y).sum();
  s.backward({}, true);
  s.backward();
  auto ref = oracle::run(
      "y = x * 2; y.retain_grad(); s = (y * y).sum(); s.backward(retain_graph=True); s.backward()\n"
      "g1 = y.grad\n"
      "z = x * 2; z.retain_grad(); z.mul_(3); (z * z).sum().backward(); out = (g1, z.grad)",
      {{"x", x}});
  EXPECT_SAME(y.grad(), ref.tensor(0));
  auto z = x * 2;
  z.retain_grad();
  z.mul_(3);
  (z * z).sum().backward();
  EXPECT_SAME(z.grad(), ref.tensor(1));
  EXPECT_FALSE(x.retains_grad());  // leaves never "retain"
}

TEST(Hooks, TensorHookStaysWithOldValueAfterInPlace) {
  auto x = leaf({2}, 7);
  auto y = x * 2;
  Tensor seen;
  y.register_hook([&](const Tensor& g) { seen = g.clone(); });
  y.mul_(3);
  y.sum().backward();
  auto ref = oracle::run(
      "y = x * 2; seen = []; y.register_hook(lambda g: seen.append(g.clone())); y.mul_(3); y.sum().backward()\n"
      "out = seen[0]",
      {{"x", x}});
  EXPECT_SAME(seen, ref.tensor());
}

TEST(Hooks, GradDoesNotRunHooksOfItsInputs) {
  auto x = leaf({2}, 8);
  int calls = 0;
  x.register_hook([&](const Tensor& g) {
    ++calls;
    return g * 10;
  });
  auto gs = autograd::grad({(x * x).sum()}, {x});
  EXPECT_EQ(calls, 0);
  auto ref =
      oracle::run("x.register_hook(lambda g: g * 10); out = torch.autograd.grad((x * x).sum(), x)[0]", {{"x", x}});
  EXPECT_SAME(gs[0], ref.tensor());
}
