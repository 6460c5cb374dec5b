// Custom autograd::Function<T>, compared with the same Function written in Python.
#include "support/testing.h"

using namespace nabla;
using nabla::autograd::AutogradContext;
using nabla::autograd::variable_list;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {

Tensor leaf(IntArrayRef shape, int seed) { return sample(shape, kDouble, seed).requires_grad_(); }

// y = x * w * c, with a constant c kept in saved_data.
struct ScaledMul : autograd::Function<ScaledMul> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& w, double c) {
    ctx->save_for_backward({x, w});
    ctx->saved_data["c"] = c;
    ctx->saved_data["label"] = "scaled";
    ctx->saved_data["n"] = int64_t{3};
    ctx->saved_data["flag"] = true;
    ctx->saved_data["needs"] = ctx->needs_input_grad(0) && !ctx->needs_input_grad(1);
    return x * w * c;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    double c = ctx->saved_data["c"].toDouble();
    EXPECT_EQ(ctx->saved_data["label"].toStringRef(), "scaled");
    EXPECT_EQ(ctx->saved_data["n"].toInt(), 3);
    EXPECT_TRUE(ctx->saved_data["flag"].toBool());
    return {grads[0] * saved[1] * c, grads[0] * saved[0] * c, Tensor()};
  }
};

const char* kPyScaledMul =
    "class ScaledMul(torch.autograd.Function):\n"
    "  @staticmethod\n"
    "  def forward(ctx, x, w, c):\n"
    "    ctx.save_for_backward(x, w); ctx.c = c\n"
    "    return x * w * c\n"
    "  @staticmethod\n"
    "  def backward(ctx, g):\n"
    "    x, w = ctx.saved_tensors\n"
    "    return g * w * ctx.c, g * x * ctx.c, None\n";

// Saves its own output: exp.
struct Exp : autograd::Function<Exp> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x) {
    auto y = x.exp();
    ctx->save_for_backward({y});
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {grads[0] * ctx->get_saved_variables()[0]};
  }
};

// In place: x.mul_(2), declared with mark_dirty.
struct DoubleInPlace : autograd::Function<DoubleInPlace> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.mul_(2);
    ctx->mark_dirty({x});
    return x;
  }
  static variable_list backward(AutogradContext*, variable_list grads) { return {grads[0] * 2}; }
};

// Two outputs, the second (an index) not differentiable.
struct MaxWithIndex : autograd::Function<MaxWithIndex> {
  static variable_list forward(AutogradContext* ctx, const Tensor& x) {
    auto [v, i] = x.max(0);
    ctx->mark_non_differentiable({i});
    ctx->save_for_backward({i});
    ctx->saved_data["n"] = x.size(0);
    ctx->set_materialize_grads(false);
    return {v, i};
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    EXPECT_FALSE(grads[1].defined());  // materialize_grads is off
    auto i = ctx->get_saved_variables()[0];
    auto onehot = (arange(ctx->saved_data["n"].toInt()) == i).to(kDouble);
    return {onehot * grads[0]};
  }
};

struct WrongCount : autograd::Function<WrongCount> {
  static Tensor forward(AutogradContext*, const Tensor& x) { return x * 2; }
  static variable_list backward(AutogradContext*, variable_list grads) { return {grads[0], grads[0]}; }
};

struct GradForNonTensor : autograd::Function<GradForNonTensor> {
  static Tensor forward(AutogradContext*, const Tensor& x, double) { return x * 2; }
  static variable_list backward(AutogradContext*, variable_list grads) { return {grads[0], grads[0]}; }
};

}  // namespace

TEST(Function, SavedTensorsAndSavedData) {
  auto x = leaf({3}, 1);
  auto w = sample({3}, kDouble, 2);
  auto y = ScaledMul::apply(x, w, 2.5);
  EXPECT_EQ(y.grad_fn()->name(), "torch::autograd::CppNode<(anonymous namespace)::ScaledMul>");
  EXPECT_EQ(y.grad_fn()->next_edges().size(), 2u);
  (y * y).sum().backward();
  auto ref = oracle::run(
      std::string(kPyScaledMul) + "y = ScaledMul.apply(x, w, 2.5); (y * y).sum().backward(); out = (y, x.grad)",
      {{"x", x}, {"w", w}});
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
  EXPECT_EQ(error_message([&] { (y * y).sum().backward(); }).substr(0, 50),
            "Trying to backward through the graph a second time");
  // Not recorded when no input requires grad, or under no_grad.
  EXPECT_FALSE(ScaledMul::apply(w, w, 1.0).requires_grad());
  NoGradGuard g;
  EXPECT_FALSE(ScaledMul::apply(x, w, 1.0).requires_grad());
}

TEST(Function, NeedsInputGradAndGradcheck) {
  auto x = leaf({2, 3}, 3);
  auto w = leaf({3}, 4);
  auto fn = [](const variable_list& in) { return ScaledMul::apply(in[0], in[1], -1.5); };
  EXPECT_TRUE(autograd::gradcheck(fn, {x, w}));
  auto y = ScaledMul::apply(x, w.detach(), 1.0);
  EXPECT_TRUE(std::static_pointer_cast<autograd::CppNode<ScaledMul>>(y.grad_fn())->ctx_.saved_data["needs"].toBool());
}

TEST(Function, SavedOutputAndDoubleBackward) {
  auto x = leaf({3}, 5);
  auto fn = [](const variable_list& in) { return Exp::apply(in[0]); };
  EXPECT_TRUE(autograd::gradcheck(fn, {x}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x}));
  auto y = Exp::apply(x);
  auto g = autograd::grad({y.sum()}, {x}, {}, true, true)[0];
  auto gg = autograd::grad({g.sum()}, {x})[0];
  EXPECT_SAME(gg, oracle::eval("x.exp()", {{"x", x.detach()}}));
}

TEST(Function, MarkDirty) {
  auto x = leaf({3}, 6);
  auto a = x * 1;
  auto out = DoubleInPlace::apply(a);
  EXPECT_TRUE(out.is_same(a));
  EXPECT_EQ(a.grad_fn()->name(), "torch::autograd::CppNode<(anonymous namespace)::DoubleInPlace>");
  (a * a).sum().backward();
  auto ref = oracle::run(
      "class D(torch.autograd.Function):\n"
      "  @staticmethod\n  def forward(ctx, x):\n    x.mul_(2); ctx.mark_dirty(x); return x\n"
      "  @staticmethod\n  def backward(ctx, g):\n    return g * 2\n"
      "a = x * 1; D.apply(a); v = a._version; (a * a).sum().backward()\n"
      "try:\n  D.apply(x)\n  e = ''\nexcept RuntimeError as err:\n  e = str(err)\n"
      "out = (a, x.grad, v, e)",
      {{"x", x}});
  EXPECT_SAME(a.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
  EXPECT_EQ(a._version(), ref.tensor(2).item<int64_t>());
  EXPECT_EQ(error_message([&] { DoubleInPlace::apply(x); }), ref.strings[3]);
}

TEST(Function, MarkDirtyOnView) {
  auto x = leaf({2, 3}, 7);
  auto b = x * 1;
  auto v = b.select(0, 0);
  DoubleInPlace::apply(v);
  EXPECT_EQ(b.grad_fn()->name(), "torch::autograd::CopySlices");
  (b * b).sum().backward();
  auto ref = oracle::run(
      "class D(torch.autograd.Function):\n"
      "  @staticmethod\n  def forward(ctx, x):\n    x.mul_(2); ctx.mark_dirty(x); return x\n"
      "  @staticmethod\n  def backward(ctx, g):\n    return g * 2\n"
      "b = x * 1; D.apply(b[0]); (b * b).sum().backward(); out = x.grad",
      {{"x", x}});
  EXPECT_SAME(x.grad(), ref.tensor());
}

TEST(Function, NonDifferentiableOutput) {
  auto x = leaf({4}, 8);
  auto outs = MaxWithIndex::apply(x);
  EXPECT_TRUE(outs[0].requires_grad());
  EXPECT_FALSE(outs[1].requires_grad());
  (outs[0] * 3).backward();
  auto ref = oracle::run("(x.max(0)[0] * 3).backward(); out = x.grad", {{"x", x}});
  EXPECT_SAME(x.grad(), ref.tensor());
}

TEST(Function, BackwardResultChecks) {
  auto x = leaf({2}, 9);
  auto y = WrongCount::apply(x);
  EXPECT_EQ(error_message([&] { y.sum().backward(); }),
            "function torch::autograd::CppNode<(anonymous namespace)::WrongCount> returned an incorrect number of "
            "gradients (expected 1, got 2)");
  auto z = GradForNonTensor::apply(x, 1.0);
  EXPECT_EQ(error_message([&] { z.sum().backward(); }),
            "function torch::autograd::CppNode<(anonymous namespace)::GradForNonTensor> returned a gradient "
            "different that is defined at position 2, but the corresponding forward input was not a Variable");
}

TEST(Function, IValueTypeErrors) {
  autograd::IValue v(2.5);
  EXPECT_TRUE(v.isDouble());
  EXPECT_EQ(error_message([&] { v.toInt(); }), "Expected Int but got Double");
  autograd::IValue t(ones({2}));
  EXPECT_TRUE(t.isTensor());
  EXPECT_EQ(t.toTensor().numel(), 2);
  EXPECT_TRUE(autograd::IValue().isNone());
}
