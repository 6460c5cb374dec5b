// View ops: view, reshape, flatten, unflatten, expand, permute, transpose, t, squeeze,
// unsqueeze (and in-place forms), broadcast_tensors — compared with PyTorch.
#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::sample;
using nabla::testing::same;

namespace {

const std::vector<ScalarType> kAllTypes = {kFloat, kDouble, kLong, kInt, kByte, kBool};

bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl()->storage() == b.impl()->storage(); }

// Whether some element of a float tensor equals v.
bool contains(const Tensor& t, float v) {
  Tensor c = t.contiguous();
  const float* p = c.data_ptr<float>();
  return std::find(p, p + c.numel(), v) != p + c.numel();
}

// grad_fn name PyTorch gives `expr` (x requires grad there too).
std::string torch_grad_fn(const std::string& expr, const oracle::Inputs& in) {
  auto r = oracle::run("out = (" + expr + ").grad_fn.name()", in);
  EXPECT_TRUE(r.ok) << r.error;
  return r.strings.empty() ? "" : r.strings.at(0);
}

Tensor dsample(IntArrayRef shape, int seed) { return sample(shape, kDouble, seed).requires_grad_(); }

}  // namespace

TEST(ShapeViews, ValuesMatchTorchForEveryDtype) {
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x = sample({2, 3, 4}, dt, 1);
    Tensor col = sample({3, 1}, dt, 2);
    oracle::Inputs in{{"x", x}, {"col", col}};
    EXPECT_SAME(x.view({6, 4}), oracle::eval("x.view(6, 4)", in));
    EXPECT_SAME(x.view({-1}), oracle::eval("x.view(-1)", in));
    EXPECT_SAME(x.reshape({4, -1}), oracle::eval("x.reshape(4, -1)", in));
    EXPECT_SAME(x.transpose(0, 2).reshape({-1}), oracle::eval("x.transpose(0, 2).reshape(-1)", in));
    EXPECT_SAME(x.flatten(), oracle::eval("x.flatten()", in));
    EXPECT_SAME(x.flatten(1), oracle::eval("x.flatten(1)", in));
    EXPECT_SAME(x.permute({2, 0, 1}).flatten(0, 1), oracle::eval("x.permute(2, 0, 1).flatten(0, 1)", in));
    EXPECT_SAME(x.unflatten(2, {2, -1}), oracle::eval("x.unflatten(2, (2, -1))", in));
    EXPECT_SAME(x.permute({2, 0, 1}), oracle::eval("x.permute(2, 0, 1)", in));
    EXPECT_SAME(x.transpose(-1, 0), oracle::eval("x.transpose(-1, 0)", in));
    EXPECT_SAME(x.mT(), oracle::eval("x.mT", in));
    EXPECT_SAME(col.t(), oracle::eval("col.t()", in));
    EXPECT_SAME(x[0].t(), oracle::eval("x[0].t()", in));
    EXPECT_SAME(col.squeeze(), oracle::eval("col.squeeze()", in));
    EXPECT_SAME(col.squeeze(1), oracle::eval("col.squeeze(1)", in));
    EXPECT_SAME(col.squeeze(0), oracle::eval("col.squeeze(0)", in));
    EXPECT_SAME(x.unsqueeze(-1), oracle::eval("x.unsqueeze(-1)", in));
    EXPECT_SAME(x.unsqueeze(1), oracle::eval("x.unsqueeze(1)", in));
    EXPECT_SAME(col.expand({2, 3, 4}), oracle::eval("col.expand(2, 3, 4)", in));
    EXPECT_SAME(col.expand({-1, 5}), oracle::eval("col.expand(-1, 5)", in));
    EXPECT_SAME(col.expand_as(x), oracle::eval("col.expand_as(x)", in));
    EXPECT_SAME(x.view_as(x.reshape({4, 6})), oracle::eval("x.view(4, 6)", in));
  }
}

TEST(ShapeViews, EdgeCasesZeroDimAndEmpty) {
  Tensor s = sample({}, kFloat, 3);
  Tensor e = sample({2, 0, 3}, kFloat, 4);
  oracle::Inputs in{{"s", s}, {"e", e}};
  EXPECT_SAME(s.reshape({1, 1}), oracle::eval("s.reshape(1, 1)", in));
  EXPECT_SAME(s.view({-1}), oracle::eval("s.view(-1)", in));
  EXPECT_SAME(s.flatten(), oracle::eval("s.flatten()", in));
  EXPECT_SAME(s.unsqueeze(0), oracle::eval("s.unsqueeze(0)", in));
  EXPECT_SAME(s.squeeze(), oracle::eval("s.squeeze()", in));
  EXPECT_SAME(s.t(), oracle::eval("s.t()", in));
  EXPECT_SAME(s.expand({2, 2}), oracle::eval("s.expand(2, 2)", in));
  EXPECT_SAME(s.permute({}), oracle::eval("s.permute(())", in));
  EXPECT_SAME(e.reshape({0, 5}), oracle::eval("e.reshape(0, 5)", in));
  EXPECT_SAME(e.view({3, -1, 2}), oracle::eval("e.view(3, -1, 2)", in));
  EXPECT_SAME(e.transpose(0, 1).flatten(), oracle::eval("e.transpose(0, 1).flatten()", in));
  EXPECT_SAME(e.unflatten(2, {3, 1}), oracle::eval("e.unflatten(2, (3, 1))", in));
  EXPECT_SAME(e.permute({1, 2, 0}), oracle::eval("e.permute(1, 2, 0)", in));
}

TEST(ShapeViews, ShareStorageWhereTorchReturnsViews) {
  Tensor x = sample({2, 3, 4}, kFloat, 5);
  Tensor col = sample({3, 1}, kFloat, 6);
  std::vector<std::pair<std::string, Tensor>> views = {
      {"view", x.view({6, 4})},           {"reshape", x.reshape({4, 6})},
      {"flatten", x.flatten()},           {"flatten(1)", x.flatten(1)},
      {"unflatten", x.unflatten(1, {3, 1})}, {"permute", x.permute({1, 2, 0})},
      {"transpose", x.transpose(0, 1)},   {"mT", x.mT()},
      {"t", x[1].t()},                    {"unsqueeze", x.unsqueeze(3)},
      {"squeeze", x.unsqueeze(0).squeeze()}, {"squeeze(dim)", x.unsqueeze(1).squeeze(1)},
      {"expand", col.expand({2, 3, 4})},  {"expand_as", col.expand_as(x)},
      {"permute(noncontig).flatten(2)", x.permute({2, 0, 1}).flatten(1, 2)},
  };
  for (auto& [label, v] : views) {
    SCOPED_TRACE(label);
    Tensor base = label.rfind("expand", 0) == 0 ? col : x;
    EXPECT_TRUE(shares_storage(v, base));
    // Writing through the view changes the base.
    Tensor before = base.clone();
    ASSERT_FALSE(contains(base, 7.5f));
    v.fill_(7.5);
    EXPECT_TRUE(contains(base, 7.5f));
    base.copy_(before);
  }
  // reshape/flatten of memory that cannot be viewed copies.
  Tensor xt = x.transpose(0, 2);
  EXPECT_FALSE(shares_storage(xt.reshape({-1}), x));
  EXPECT_FALSE(shares_storage(xt.flatten(), x));
  // flatten over a single dim is the tensor itself.
  EXPECT_TRUE(x.flatten(1, 1).is_same(x));
}

TEST(ShapeViews, GradFnNamesMatchTorch) {
  Tensor x = dsample({2, 3, 4}, 7);
  Tensor m = dsample({3, 1}, 8);
  oracle::Inputs in{{"x", x}, {"m", m}};
  std::vector<std::pair<Tensor, std::string>> cases = {
      {x.view({6, 4}), "x.view(6, 4)"},
      {x.reshape({4, 6}), "x.reshape(4, 6)"},
      {x.reshape({2, 3, 4}), "x.reshape(2, 3, 4)"},
      {x.transpose(0, 1).reshape({-1}), "x.transpose(0, 1).reshape(-1)"},
      {x.flatten(), "x.flatten()"},
      {x.transpose(1, 2).flatten(0, 1), "x.transpose(1, 2).flatten(0, 1)"},
      {x.unflatten(2, {2, 2}), "x.unflatten(2, (2, 2))"},
      {x.permute({2, 0, 1}), "x.permute(2, 0, 1)"},
      {x.transpose(0, 2), "x.transpose(0, 2)"},
      {m.t(), "m.t()"},
      {m.squeeze(), "m.squeeze()"},
      {m.squeeze(1), "m.squeeze(1)"},
      {m.unsqueeze(0), "m.unsqueeze(0)"},
      {m.expand({2, 3, 5}), "m.expand(2, 3, 5)"},
      {x.mT(), "x.mT"},
  };
  for (auto& [t, expr] : cases) {
    SCOPED_TRACE(expr);
    ASSERT_TRUE(t.grad_fn());
    EXPECT_EQ(t.grad_fn()->name(), torch_grad_fn(expr, in));
  }
}

TEST(ShapeViews, GradientsMatchTorch) {
  Tensor x = dsample({2, 3, 4}, 9);
  Tensor m = dsample({3, 1}, 10);
  Tensor y = (x.transpose(0, 2).reshape({4, 6}).t().unflatten(0, {2, 3}).permute({1, 0, 2}) *
              m.squeeze(1).unsqueeze(1).unsqueeze(2).expand({3, 2, 4}).mT().mT())
                 .flatten()
                 .view({-1, 4})
                 .sum(1)
                 .sum();
  y.backward();
  auto ref = oracle::run(
      "y = (x.transpose(0, 2).reshape(4, 6).t().unflatten(0, (2, 3)).permute(1, 0, 2) * "
      "m.squeeze(1).unsqueeze(1).unsqueeze(2).expand(3, 2, 4).mT.mT).flatten().view(-1, 4).sum(1).sum();"
      "y.backward(); out = (y, x.grad, m.grad)",
      {{"x", x}, {"m", m}});
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
  EXPECT_SAME(m.grad(), ref.tensor(2));
}

TEST(ShapeViews, Gradcheck) {
  Tensor x = dsample({3, 4}, 11);
  Tensor xt = dsample({4, 3}, 12);  // used transposed: non-contiguous
  Tensor b = dsample({4}, 13);       // broadcast against x
  auto fn = [](const autograd::variable_list& in) {
    Tensor a = in[1].t();  // non-contiguous
    Tensor u = (in[0] + a).reshape({2, 6}).t().flatten().unflatten(0, {3, 4}).permute({1, 0});
    Tensor v = in[2].unsqueeze(1).expand({4, 3}).transpose(0, 1).unsqueeze(0).squeeze(0).squeeze().mT();
    return (u * v * v).view({-1});
  };
  EXPECT_TRUE(autograd::gradcheck(fn, {x, xt, b}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x, xt, b}));
  auto fn2 = [](const autograd::variable_list& in) { return in[0].unsqueeze(0).squeeze().t().reshape({3, 4}); };
  EXPECT_TRUE(autograd::gradcheck(fn2, {xt}));
  EXPECT_TRUE(autograd::gradgradcheck(fn2, {xt}));
}

TEST(ShapeViews, ErrorsMatchTorch) {
  Tensor x = sample({3, 4, 5}, kFloat, 14);
  oracle::Inputs in{{"x", x}};
  std::vector<std::pair<std::function<void()>, std::string>> cases = {
      {[&] { x.view({7}); }, "x.view(7)"},
      {[&] { x.view({-1, -1}); }, "x.view(-1, -1)"},
      {[&] { x.view({-2}); }, "x.view(-2)"},
      {[&] { x.view({-1, 7}); }, "x.view(-1, 7)"},
      {[&] { x.transpose(0, 1).view({60}); }, "x.transpose(0, 1).view(60)"},
      {[&] { x.reshape({7}); }, "x.reshape(7)"},
      {[&] { x.flatten(2, 1); }, "x.flatten(2, 1)"},
      {[&] { x.flatten(0, 3); }, "x.flatten(0, 3)"},
      {[&] { x.unflatten(1, {3, 2}); }, "x.unflatten(1, (3, 2))"},
      {[&] { x.unflatten(-2, {3, 2}); }, "x.unflatten(-2, (3, 2))"},
      {[&] { x.unflatten(1, {}); }, "x.unflatten(1, ())"},
      {[&] { x.unflatten(1, {-1, -1}); }, "x.unflatten(1, (-1, -1))"},
      {[&] { x.squeeze(3); }, "x.squeeze(3)"},
      {[&] { x.unsqueeze(4); }, "x.unsqueeze(4)"},
      {[&] { x.permute({0, 1}); }, "x.permute(0, 1)"},
      {[&] { x.permute({0, 1, 1}); }, "x.permute(0, 1, 1)"},
      {[&] { x.permute({0, 1, 3}); }, "x.permute(0, 1, 3)"},
      {[&] { x.transpose(0, 3); }, "x.transpose(0, 3)"},
      {[&] { x.t(); }, "x.t()"},
      {[&] { x.expand({3, 4}); }, "x.expand(3, 4)"},
      {[&] { x.expand({3, 3, 5}); }, "x.expand(3, 3, 5)"},
      {[&] { x.expand({-1, 2, 3, 4, 5}); }, "x.expand(-1, 2, 3, 4, 5)"},
      {[&] { broadcast_tensors({x, zeros({2})}); }, "torch.broadcast_tensors(x, torch.zeros(2))"},
      {[&] { broadcast_shapes({2, 3}, {4}); }, "torch.broadcast_shapes((2, 3), (4,))"},
  };
  for (auto& [fn, code] : cases) {
    SCOPED_TRACE(code);
    EXPECT_EQ(error_message(fn), oracle::error_of(code, in));
  }
}

TEST(ShapeViews, InplaceSqueezeUnsqueeze) {
  for (ScalarType dt : {kFloat, kLong, kBool}) {
    Tensor x = sample({3, 1, 4}, dt, 15);
    Tensor y = x;  // same TensorImpl
    const uint32_t v0 = x._version();
    x.squeeze_();
    EXPECT_EQ(y.sizes(), IntArrayRef({3, 4}));
    EXPECT_EQ(x._version(), v0 + 1);
    x.unsqueeze_(0);
    EXPECT_SAME(x, oracle::eval("x.squeeze().unsqueeze(0)", {{"x", sample({3, 1, 4}, dt, 15)}}));
    x.squeeze_(0);
    x.squeeze_(0);  // not size 1: unchanged
    EXPECT_EQ(x.sizes(), IntArrayRef({3, 4}));
    EXPECT_EQ(x._version(), v0 + 4);
  }
  // Autograd: the tensor becomes the output of the in-place node.
  Tensor a = dsample({3, 1, 4}, 16);
  Tensor b = a * 2;
  b.squeeze_();
  EXPECT_EQ(b.grad_fn()->name(), torch_grad_fn("(a * 2).squeeze_()", {{"a", a}}));
  b.unsqueeze_(2);
  EXPECT_EQ(b.grad_fn()->name(), torch_grad_fn("(a * 2).unsqueeze_(2)", {{"a", a}}));
  b.squeeze_(2);
  EXPECT_EQ(b.grad_fn()->name(), torch_grad_fn("(a * 2).unsqueeze(2).squeeze_(2)", {{"a", a}}));
  (b * b).sum().backward();
  auto ref = oracle::run("b = a * 2; b.squeeze_(); b.unsqueeze_(2); b.squeeze_(2); (b * b).sum().backward(); out = a.grad",
                         {{"a", a}});
  EXPECT_SAME(a.grad(), ref.tensor());
  // PyTorch's in-place rules for leaves.
  Tensor leaf = dsample({3, 1}, 17);
  EXPECT_EQ(error_message([&] { leaf.squeeze_(); }), oracle::error_of("a = a.detach().requires_grad_(); a.squeeze_()", {{"a", leaf}}));
  EXPECT_EQ(error_message([&] { leaf.unsqueeze_(0); }), oracle::error_of("a = a.detach().requires_grad_(); a.unsqueeze_(0)", {{"a", leaf}}));
}

TEST(ShapeViews, BroadcastTensorsAndShapes) {
  Tensor a = sample({3, 1}, kFloat, 18), b = sample({4}, kLong, 19), c = sample({2, 3, 4}, kDouble, 20);
  auto outs = broadcast_tensors({a, b, c});
  auto ref = oracle::run("out = torch.broadcast_tensors(a, b, c)", {{"a", a}, {"b", b}, {"c", c}});
  ASSERT_EQ(outs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_SAME(outs[i], ref.tensor(i));
  EXPECT_TRUE(shares_storage(outs[0], a));
  EXPECT_TRUE(outs[2].is_same(c));  // already of the broadcast shape
  EXPECT_EQ(broadcast_shapes({3, 1}, {2, 1, 4}), (std::vector<int64_t>{2, 3, 4}));
  auto r = oracle::run("out = (torch.broadcast_shapes((3, 1), (2, 1, 4)),)");
  EXPECT_EQ(broadcast_shapes({3, 1}, {2, 1, 4}), r.lists.at(0));
  // Gradients flow through the expansion (ExpandBackward0).
  Tensor x = dsample({3, 1}, 21), y = dsample({4}, 22);
  auto fn = [](const autograd::variable_list& in) {
    auto o = broadcast_tensors({in[0], in[1]});
    return o[0] * o[1];
  };
  EXPECT_TRUE(autograd::gradcheck(fn, {x, y}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x, y}));
}
