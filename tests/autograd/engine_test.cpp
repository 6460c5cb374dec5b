// The backward engine against PyTorch: graph shapes (reuse, diamonds, shared subgraphs),
// accumulation, retain_graph, grad(), backward(inputs=...), higher order, error texts.
#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;
using nabla::testing::sample_positive;

namespace {

Tensor leaf(IntArrayRef shape, int seed, ScalarType dt = kDouble) { return sample(shape, dt, seed).requires_grad_(); }

// Collects warnings for the lifetime of the object.
struct WarningCapture {
  std::vector<std::string> messages;
  WarningHandler prev;
  WarningCapture() {
    prev = set_warning_handler([this](const std::string& m) { messages.push_back(m); });
  }
  ~WarningCapture() { set_warning_handler(prev); }
};

}  // namespace

TEST(Engine, ValueUsedSeveralTimes) {
  auto x = leaf({3}, 1);
  auto y = (x * x * x + x * 2).sum();
  y.backward();
  auto ref = oracle::run("y = (x * x * x + x * 2).sum(); y.backward(); out = (y, x.grad)", {{"x", x}});
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
}

TEST(Engine, DiamondAndSharedSubgraph) {
  auto x = leaf({2, 3}, 2);
  auto w = leaf({3}, 3);
  auto shared = x * w;         // used by both branches
  auto left = shared * 3 + w;  // w also enters directly
  auto right = shared / (w * w + 1);
  auto out = (left * right).sum() + shared.sum();
  out.backward();
  auto ref = oracle::run(
      "shared = x * w\nleft = shared * 3 + w\nright = shared / (w * w + 1)\n"
      "out = (left * right).sum() + shared.sum()\nout.backward()\nout = (out, x.grad, w.grad)",
      {{"x", x}, {"w", w}});
  EXPECT_SAME(out.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
  EXPECT_SAME(w.grad(), ref.tensor(2));
}

TEST(Engine, BroadcastGradientsAreSummedToInputShape) {
  auto a = leaf({3, 1}, 4, kFloat);
  auto b = leaf({4}, 5, kFloat);
  (a * b + a).sum().backward();
  auto ref = oracle::run("(a * b + a).sum().backward(); out = (a.grad, b.grad)", {{"a", a}, {"b", b}});
  EXPECT_SAME(a.grad(), ref.tensor(0));
  EXPECT_SAME(b.grad(), ref.tensor(1));
}

TEST(Engine, AccumulationAcrossBackwardsAndZeroGrad) {
  auto x = leaf({3}, 6);
  (x * x).sum().backward();
  (x * 3).sum().backward();
  auto ref = oracle::run("(x * x).sum().backward(); (x * 3).sum().backward(); out = x.grad", {{"x", x}});
  EXPECT_SAME(x.grad(), ref.tensor());
  // The second gradient was added in place: the same tensor keeps accumulating.
  const void* before = x.grad().data_ptr();
  (x * 2).sum().backward();
  EXPECT_EQ(x.grad().data_ptr(), before);
  x.mutable_grad().zero_();
  EXPECT_EQ(x.grad().sum().item<double>(), 0.0);
  (x * x).sum().backward();
  EXPECT_SAME(x.grad(), oracle::eval("2 * x", {{"x", x.detach()}}));
  x.mutable_grad() = Tensor();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Engine, RetainGraphAndSecondBackwardError) {
  auto x = leaf({3}, 7);
  auto y = (x.exp() * x).sum();
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  auto ref =
      oracle::run("y = (x.exp() * x).sum(); y.backward(retain_graph=True); y.backward(); out = x.grad", {{"x", x}});
  EXPECT_SAME(x.grad(), ref.tensor());
  std::string expected = oracle::error_of("y = (x.exp() * x).sum(); y.backward(); y.backward()", {{"x", x}});
  EXPECT_EQ(error_message([&] { y.backward(); }), expected);
}

TEST(Engine, GuideErrorTexts) {
  auto x = leaf({3}, 8);
  auto y = x * 2;
  EXPECT_EQ(error_message([&] { y.backward(); }), oracle::error_of("(x * 2).backward()", {{"x", x}}));
  auto c = sample({3}, kDouble, 9);
  EXPECT_EQ(error_message([&] { c.sum().backward(); }), oracle::error_of("c.sum().backward()", {{"c", c}}));
  auto i = sample({3}, kLong, 10);
  EXPECT_EQ(error_message([&] { i.requires_grad_(); }), oracle::error_of("i.requires_grad_()", {{"i", i}}));
  EXPECT_EQ(error_message([&] { x.mul_(2); }), oracle::error_of("x.mul_(2)", {{"x", x}}));
  EXPECT_EQ(error_message([&] { y.requires_grad_(false); }),
            oracle::error_of("y = x * 2; y.requires_grad_(False)", {{"x", x}}));
  EXPECT_EQ(error_message([&] { c.retain_grad(); }), oracle::error_of("c.retain_grad()", {{"c", c}}));
  EXPECT_EQ(error_message([&] { c.register_hook([](const Tensor& g) { return g; }); }),
            oracle::error_of("c.register_hook(lambda g: g)", {{"c", c}}));
  EXPECT_EQ(error_message([&] { y.sum().backward(ones({4}, kDouble)); }),
            oracle::error_of("(x * 2).sum().backward(torch.ones(4, dtype=torch.float64))", {{"x", x}}));
  EXPECT_EQ(error_message([&] {
              autograd::backward({y.sum(), y.sum()}, {ones({}, kDouble)});
            }),
            oracle::error_of("torch.autograd.grad([(x * 2).sum(), x.sum()], [x], [torch.tensor(1.)])", {{"x", x}}));
  EXPECT_EQ(error_message([&] { y.sum().backward({}, {}, false, std::vector<Tensor>{}); }),
            oracle::error_of("(x * 2).sum().backward(inputs=[])", {{"x", x}}));
  auto a = leaf({3}, 30), b = leaf({4}, 31);
  EXPECT_EQ(error_message([&] { a + b; }), oracle::error_of("a + b", {{"a", a}, {"b", b}}));
  auto m1 = leaf({2, 3}, 32), m2 = leaf({4, 2}, 33);
  EXPECT_EQ(error_message([&] { m1.mm(m2); }), oracle::error_of("m1.mm(m2)", {{"m1", m1}, {"m2", m2}}));
}

TEST(Engine, NonLeafGradWarning) {
  auto x = leaf({2}, 11);
  auto y = x * 3;
  WarningCapture w;
  EXPECT_FALSE(y.grad().defined());
  ASSERT_EQ(w.messages.size(), 1u);
  auto ref = oracle::run(
      "import warnings\n"
      "with warnings.catch_warnings(record=True) as w:\n"
      "  warnings.simplefilter('always')\n"
      "  (x * 3).grad\n"
      "out = str(w[0].message).split(' (Triggered internally')[0]",
      {{"x", x}});
  EXPECT_EQ(w.messages[0], ref.strings[0]);
  y.retain_grad();
  EXPECT_FALSE(y.grad().defined());
  EXPECT_EQ(w.messages.size(), 1u);  // no warning once retain_grad() was called
}

TEST(Engine, RequiresGradRulesAndLeafness) {
  auto x = sample({2}, kFloat, 12);
  EXPECT_FALSE(x.requires_grad());
  EXPECT_TRUE(x.is_leaf());
  x.requires_grad_();
  auto y = x * 2;
  EXPECT_TRUE(y.requires_grad());
  EXPECT_FALSE(y.is_leaf());
  EXPECT_TRUE(&y.requires_grad_(true) == &y);  // allowed on a non-leaf
  x.requires_grad_(false);
  EXPECT_FALSE(x.requires_grad());
  EXPECT_FALSE((x * 2).requires_grad());
  auto i = sample({2}, kLong, 13);
  EXPECT_NO_THROW(i.requires_grad_(false));
}

TEST(Engine, GradModeGuards) {
  auto x = leaf({2}, 14);
  {
    NoGradGuard g;
    EXPECT_FALSE(GradMode::is_enabled());
    auto y = x * 2;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_FALSE(y.grad_fn());
    {
      AutoGradMode on(true);
      EXPECT_TRUE((x * 2).requires_grad());
    }
    EXPECT_FALSE((x * 2).requires_grad());
  }
  EXPECT_TRUE(GradMode::is_enabled());
  set_grad_enabled(false);
  EXPECT_FALSE(is_grad_enabled());
  EXPECT_FALSE((x + 1).requires_grad());
  set_grad_enabled(true);
  EXPECT_TRUE((x + 1).requires_grad());
}

TEST(Engine, DetachSharesStorageAndVersion) {
  auto x = leaf({3}, 15);
  auto y = x * 2;
  auto d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ(d.data_ptr(), y.data_ptr());
  uint32_t v = y._version();
  d.add_(1);
  EXPECT_EQ(y._version(), v + 1);
  // y was saved by y * y: modifying it through the detached alias is caught.
  auto z = leaf({3}, 16);
  auto w = z * 1;
  auto p = (w * w).sum();
  w.detach().mul_(2);
  EXPECT_NE(error_message([&] { p.backward(); }).find("modified by an inplace operation"), std::string::npos);
  // detach_ makes a non-leaf a leaf without history.
  auto q = x * 3;
  q.detach_();
  EXPECT_TRUE(q.is_leaf());
  EXPECT_FALSE(q.requires_grad());
  auto v2 = (x * 1).view({3});
  EXPECT_EQ(error_message([&] { v2.detach_(); }), oracle::error_of("(x * 1).view(3).detach_()", {{"x", x}}));
}

TEST(Engine, GradFnNamesAndNextEdges) {
  auto x = leaf({2}, 17, kFloat);
  auto c = sample({2}, kFloat, 18);
  auto y = x * c;
  ASSERT_TRUE(y.grad_fn());
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward0");
  const auto& edges = y.grad_fn()->next_edges();
  ASSERT_EQ(edges.size(), 2u);
  ASSERT_TRUE(edges[0].is_valid());
  EXPECT_EQ(edges[0].function->name(), "torch::autograd::AccumulateGrad");
  EXPECT_EQ(edges[0].input_nr, 0u);
  EXPECT_FALSE(edges[1].is_valid());
  // The same leaf always leads to the same AccumulateGrad node.
  auto y2 = x + 1;
  EXPECT_EQ(y2.grad_fn()->next_edge(0).function, edges[0].function);
  auto names = oracle::run(
      "y = x * c; z = y.sum(); out = (y.grad_fn.name(), z.grad_fn.name(), "
      "type(y.grad_fn.next_functions[0][0]).__name__)",
      {{"x", x}, {"c", c}});
  EXPECT_EQ(y.sum().grad_fn()->name(), names.strings[1]);
  EXPECT_EQ("torch::autograd::" + names.strings[2], edges[0].function->name());
  // output_nr of multi-output ops.
  auto parts = (x * 1).split(1);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].output_nr(), 0u);
  EXPECT_EQ(parts[1].output_nr(), 1u);
  EXPECT_EQ(parts[0].grad_fn(), parts[1].grad_fn());
}

TEST(Engine, BackwardWithInputs) {
  auto x = leaf({2}, 19);
  auto w = leaf({2}, 20);
  auto y = x * w;
  auto z = (y * y).sum();
  z.backward({}, true, false, std::vector<Tensor>{w});
  EXPECT_FALSE(x.grad().defined());
  auto ref = oracle::run(
      "y = x * w; z = (y * y).sum(); z.backward(retain_graph=True, inputs=[w]); g1 = w.grad.clone()\n"
      "z.backward(inputs=[y]); out = (g1, y.grad, y.retains_grad, x.grad is None)",
      {{"x", x}, {"w", w}});
  EXPECT_SAME(w.grad(), ref.tensor(0));
  // A non-leaf input gets its gradient in .grad (through retain_grad, as PyTorch).
  z.backward({}, {}, false, std::vector<Tensor>{y});
  EXPECT_SAME(y.grad(), ref.tensor(1));
  EXPECT_TRUE(y.retains_grad());
  EXPECT_FALSE(x.grad().defined());
  EXPECT_SAME(w.grad(), ref.tensor(0));  // unchanged by the second backward
}

TEST(Engine, GradAllowUnused) {
  auto a = leaf({2}, 21);
  auto b = leaf({2}, 22);
  auto y = (a * 3).sum();
  auto gs = autograd::grad({y}, {a, b}, {}, true, false, /*allow_unused=*/true);
  ASSERT_EQ(gs.size(), 2u);
  EXPECT_SAME(gs[0], oracle::eval("torch.full_like(a, 3.)", {{"a", a.detach()}}));
  EXPECT_FALSE(gs[1].defined());
  EXPECT_FALSE(a.grad().defined());  // grad() does not touch .grad
  EXPECT_EQ(error_message([&] {
              autograd::grad({y}, {a, b});
            }),
            oracle::error_of("torch.autograd.grad((a * 3).sum(), [a, b])", {{"a", a}, {"b", b}}));
  auto c = sample({2}, kDouble, 23);
  EXPECT_EQ(error_message([&] { autograd::grad({y}, {c}); }),
            oracle::error_of("torch.autograd.grad((a * 3).sum(), [c])", {{"a", a}, {"c", c}}));
}

TEST(Engine, GradWithRespectToNonLeaf) {
  auto x = leaf({3}, 24);
  auto h = x.exp();
  auto y = (h * h + x).sum();
  auto gs = autograd::grad({y}, {h, x});
  auto ref = oracle::run("h = x.exp(); y = (h * h + x).sum(); out = torch.autograd.grad(y, [h, x])", {{"x", x}});
  EXPECT_SAME(gs[0], ref.tensor(0));
  EXPECT_SAME(gs[1], ref.tensor(1));
}

TEST(Engine, GradientPenaltySecondOrder) {
  // WGAN-GP: loss = D(x) + ||dD/dx||², backpropagated to D's weights.
  auto w1 = leaf({3, 4}, 25);
  auto w2 = leaf({4}, 26);
  auto x = sample({5, 3}, kDouble, 27).requires_grad_();
  auto d = (x.mm(w1).tanh().mv(w2)).sum();
  auto gx = autograd::grad({d}, {x}, {}, true, /*create_graph=*/true)[0];
  ASSERT_TRUE(gx.requires_grad());
  auto penalty = (gx * gx).sum(1).sqrt().sub(1).pow(2).mean();
  auto loss = d + penalty * 10;
  loss.backward();
  auto ref = oracle::run(
      "d = (x.mm(w1).tanh().mv(w2)).sum()\n"
      "gx = torch.autograd.grad(d, x, create_graph=True)[0]\n"
      "penalty = (gx * gx).sum(1).sqrt().sub(1).pow(2).mean()\n"
      "loss = d + penalty * 10\nloss.backward()\nout = (loss, w1.grad, w2.grad, x.grad)",
      {{"w1", w1}, {"w2", w2}, {"x", x}});
  EXPECT_SAME(loss.detach(), ref.tensor(0));
  EXPECT_SAME(w1.grad(), ref.tensor(1));
  EXPECT_SAME(w2.grad(), ref.tensor(2));
  EXPECT_SAME(x.grad(), ref.tensor(3));
}

TEST(Engine, CreateGraphBackwardGivesGradAHistory) {
  auto x = leaf({2}, 28);
  WarningCapture w;
  (x * x * x).sum().backward({}, {}, /*create_graph=*/true);
  ASSERT_TRUE(x.grad().defined());
  ASSERT_TRUE(x.grad().grad_fn());
  auto ref = oracle::run(
      "import warnings\n"
      "with warnings.catch_warnings(record=True) as w:\n"
      "  warnings.simplefilter('always')\n"
      "  (x * x * x).sum().backward(create_graph=True)\n"
      "g = x.grad; name = type(g.grad_fn).__name__; x.grad = None\n"
      "gg = torch.autograd.grad(g.sum(), x)[0]\n"
      "out = (g, name, gg, str(w[0].message).split(' (Triggered internally')[0])",
      {{"x", x}});
  EXPECT_SAME(x.grad(), ref.tensor(0));
  // (PyTorch's name() is "torch::autograd::CopyBackwards"; nabla's copy_ says "CopyBackwards")
  EXPECT_EQ(x.grad().grad_fn()->name(), ref.strings[1]);
  auto gg = autograd::grad({x.grad().sum()}, {x})[0];
  EXPECT_SAME(gg, ref.tensor(2));
  ASSERT_FALSE(w.messages.empty());
  EXPECT_EQ(w.messages[0], ref.strings[3]);
  // The reference cycle the warning is about (x → grad → its graph → x): broken as PyTorch
  // advises, by resetting the gradient.
  x.mutable_grad() = Tensor();
}

TEST(Engine, AccumulateGradStealsOrCopies) {
  auto x = leaf({3}, 29);
  auto g = ones({3}, kDouble);
  const void* p = g.data_ptr();
  (x + 0).backward(g);  // AddBackward0 passes g itself on
  // The incoming gradient is referenced by the caller: .grad is a copy.
  EXPECT_NE(x.grad().data_ptr(), p);
  g.add_(5);
  EXPECT_SAME(x.grad(), ones({3}, kDouble));
  EXPECT_FALSE(x.grad().requires_grad());
}

TEST(Engine, AnomalyModeNamesNodeAndForwardOp) {
  auto x = tensor({0.0, 1.0}, kDouble).requires_grad_();
  autograd::DetectAnomalyGuard guard;
  EXPECT_TRUE(autograd::AnomalyMode::is_enabled());
  auto y = (x.sqrt() * 0).sum();  // d sqrt(x)/dx at 0 is inf; inf * 0 is nan
  std::string msg = error_message([&] { y.backward(); });
  auto ref = oracle::run(
      "import warnings\nwith torch.autograd.detect_anomaly():\n"
      "  y = (x.sqrt() * 0).sum()\n  try:\n    y.backward()\n    out = ''\n  except RuntimeError as e:\n"
      "    out = str(e)",
      {{"x", x}});
  EXPECT_EQ(msg.substr(0, ref.strings[0].size()), ref.strings[0]);
  EXPECT_NE(msg.find("SqrtBackward0"), std::string::npos);
  EXPECT_NE(msg.find("forward op 'Sqrt'"), std::string::npos);
}
