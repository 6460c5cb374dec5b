// Slicing and joining: narrow, slice, select, split, split_with_sizes, chunk, unbind, cat,
// cat_out, stack, repeat, flip — compared with PyTorch.
#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::sample;
using nabla::testing::same;

namespace {

const std::vector<ScalarType> kAllTypes = {kFloat, kDouble, kLong, kInt, kByte, kBool};

bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl()->storage() == b.impl()->storage(); }

std::string torch_grad_fn(const std::string& expr, const oracle::Inputs& in) {
  auto r = oracle::run("out = (" + expr + ").grad_fn.name()", in);
  EXPECT_TRUE(r.ok) << r.error;
  return r.strings.empty() ? "" : r.strings.at(0);
}

Tensor dsample(IntArrayRef shape, int seed) { return sample(shape, kDouble, seed).requires_grad_(); }

void expect_list(const std::vector<Tensor>& got, const std::string& code, const oracle::Inputs& in) {
  auto r = oracle::run("out = tuple(" + code + ")", in);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(got.size(), r.outputs.size()) << code;
  for (size_t i = 0; i < got.size(); ++i) EXPECT_SAME(got[i], r.tensor(i)) << code << " piece " << i;
}

}  // namespace

TEST(ShapeSlice, ValuesMatchTorchForEveryDtype) {
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x = sample({4, 5, 3}, dt, 1);
    Tensor xt = x.transpose(0, 2);  // non-contiguous
    oracle::Inputs in{{"x", x}};
    EXPECT_SAME(x.narrow(1, 1, 3), oracle::eval("x.narrow(1, 1, 3)", in));
    EXPECT_SAME(x.narrow(-1, -2, 2), oracle::eval("x.narrow(-1, -2, 2)", in));
    EXPECT_SAME(x.narrow(1, 5, 0), oracle::eval("x.narrow(1, 5, 0)", in));
    EXPECT_SAME(xt.narrow(2, 1, 2), oracle::eval("x.transpose(0, 2).narrow(2, 1, 2)", in));
    EXPECT_SAME(x.slice(1, 1, 4, 2), oracle::eval("x[:, 1:4:2]", in));
    EXPECT_SAME(x.slice(0, -3, std::nullopt, 2), oracle::eval("x[-3::2]", in));
    EXPECT_SAME(x.slice(2, -10, 10), oracle::eval("x[:, :, -10:10]", in));
    EXPECT_SAME(x.slice(0, 3, 1), oracle::eval("x[3:1]", in));
    EXPECT_SAME(x.select(1, -1), oracle::eval("x.select(1, -1)", in));
    EXPECT_SAME(xt.select(0, 2), oracle::eval("x.transpose(0, 2).select(0, 2)", in));
    EXPECT_SAME(x[2], oracle::eval("x[2]", in));
    expect_list(x.split(2, 1), "x.split(2, 1)", in);
    expect_list(x.split(3), "x.split(3)", in);
    expect_list(xt.split(2, -1), "x.transpose(0, 2).split(2, -1)", in);
    expect_list(x.split({1, 4}, 1), "x.split([1, 4], 1)", in);
    expect_list(x.split_with_sizes({0, 3, 0}, 2), "x.split_with_sizes([0, 3, 0], 2)", in);
    expect_list(x.chunk(3, 1), "x.chunk(3, 1)", in);
    expect_list(x.chunk(4, 2), "x.chunk(4, 2)", in);
    expect_list(x.unbind(2), "x.unbind(2)", in);
    expect_list(xt.unbind(), "x.transpose(0, 2).unbind()", in);
    expect_list(sample({0, 2}, dt).chunk(3), "torch.zeros(0, 2, dtype=x.dtype).chunk(3)", in);
    expect_list(sample({0, 2}, dt).split(0), "torch.zeros(0, 2, dtype=x.dtype).split(0)", in);
  }
}

TEST(ShapeSlice, PiecesShareStorage) {
  Tensor x = sample({4, 6}, kFloat, 2);
  std::vector<Tensor> views = {x.narrow(1, 2, 3), x.slice(0, 1, 3), x.slice(1, 0, 6, 2), x.select(1, 3), x[1]};
  for (auto& t : x.split(4, 1)) views.push_back(t);
  for (auto& t : x.split({1, 3}, 0)) views.push_back(t);
  for (auto& t : x.chunk(2, 0)) views.push_back(t);
  for (auto& t : x.unbind(1)) views.push_back(t);
  for (size_t i = 0; i < views.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(shares_storage(views[i], x));
    Tensor before = x.clone();
    views[i].fill_(-42.0);
    // Exactly the viewed elements changed.
    const float* p = x.data_ptr<float>();
    int changed = 0;
    for (int64_t k = 0; k < x.numel(); ++k) changed += p[k] == -42.0f;
    EXPECT_EQ(changed, views[i].numel());
    x.copy_(before);
  }
}

TEST(ShapeSlice, GradFnNamesMatchTorch) {
  Tensor x = dsample({4, 5}, 3);
  oracle::Inputs in{{"x", x}};
  std::vector<std::pair<Tensor, std::string>> cases = {
      {x.narrow(1, 1, 2), "x.narrow(1, 1, 2)"},
      {x.slice(0, 1, 3), "x[1:3]"},
      {x.select(1, 2), "x.select(1, 2)"},
      {x[0], "x[0]"},
      {x.split(2)[1], "x.split(2)[1]"},
      {x.split({1, 3})[0], "x.split([1, 3])[0]"},
      {x.split_with_sizes({2, 3}, 1)[1], "x.split_with_sizes([2, 3], 1)[1]"},
      {x.chunk(2)[0], "x.chunk(2)[0]"},
      {x.unbind(1)[4], "x.unbind(1)[4]"},
      {cat({x, x}, 1), "torch.cat([x, x], 1)"},
      {stack({x, x}), "torch.stack([x, x])"},
      {x.repeat({2, 1, 1}), "x.repeat(2, 1, 1)"},
      {x.flip({0}), "x.flip(0)"},
  };
  for (auto& [t, expr] : cases) {
    SCOPED_TRACE(expr);
    ASSERT_TRUE(t.grad_fn());
    EXPECT_EQ(t.grad_fn()->name(), torch_grad_fn(expr, in));
  }
  // Double backward of select/slice goes through their "embed into zeros" ops.
  Tensor g = dsample({5}, 4);
  auto gi = autograd::grad({x.select(0, 1)}, {x}, {g}, std::nullopt, true)[0];
  auto ref = oracle::run(
      "gi, = torch.autograd.grad(x.select(0, 1), x, g, create_graph=True); out = (gi, gi.grad_fn.name())",
      {{"x", x}, {"g", g}});
  EXPECT_SAME(gi, ref.tensor(0));
  EXPECT_EQ(gi.grad_fn()->name(), ref.strings.at(1));
  Tensor g2 = dsample({2, 5}, 5);
  auto gs = autograd::grad({x.slice(0, 1, 3)}, {x}, {g2}, std::nullopt, true)[0];
  EXPECT_EQ(gs.grad_fn()->name(),
            oracle::run("gi, = torch.autograd.grad(x[1:3], x, g, create_graph=True); out = gi.grad_fn.name()",
                        {{"x", x}, {"g", g2}})
                .strings.at(0));
}

TEST(ShapeSlice, GradientsMatchTorch) {
  Tensor x = dsample({4, 6}, 6);
  auto parts = x.split(4, 1);
  auto rows = x.unbind(0);
  auto chunks = x.chunk(2, 1);
  // Some pieces unused: their gradient is zero.
  Tensor y = (parts[1] * parts[1]).sum() + (rows[2] * 3).sum() + x.narrow(0, 1, 2).select(1, -1).sum() +
             (chunks[0] * x.slice(1, 1, std::nullopt, 2)).sum();
  y.backward();
  auto ref = oracle::run(
      "p = x.split(4, 1); r = x.unbind(0); c = x.chunk(2, 1);"
      "y = (p[1] * p[1]).sum() + (r[2] * 3).sum() + x.narrow(0, 1, 2).select(1, -1).sum() + "
      "(c[0] * x[:, 1::2]).sum(); y.backward(); out = (y, x.grad)",
      {{"x", x}});
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
}

TEST(ShapeSlice, Gradcheck) {
  Tensor x = dsample({5, 4}, 7);
  Tensor xt = dsample({4, 5}, 8);
  auto fn = [](const autograd::variable_list& in) {
    Tensor a = in[0] * in[1].t();  // non-contiguous operand
    auto p = a.split({2, 3}, 0);
    auto u = a.unbind(1);
    auto c = a.chunk(2, 1);
    return std::vector<Tensor>{p[1].narrow(1, 1, 2) * p[0].select(0, 1).slice(0, 1, 3), u[3] * u[0],
                               c[1].slice(0, 0, 5, 2)};
  };
  EXPECT_TRUE(autograd::gradcheck(fn, {x, xt}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x, xt}));
}

TEST(ShapeSlice, ErrorsMatchTorch) {
  Tensor x = sample({3, 4, 5}, kFloat, 9);
  Tensor s = sample({}, kFloat, 10);
  oracle::Inputs in{{"x", x}, {"s", s}};
  std::vector<std::pair<std::function<void()>, std::string>> cases = {
      {[&] { x.narrow(2, 4, 2); }, "x.narrow(2, 4, 2)"},
      {[&] { x.narrow(2, -6, 1); }, "x.narrow(2, -6, 1)"},
      {[&] { x.narrow(2, 1, -1); }, "x.narrow(2, 1, -1)"},
      {[&] { x.narrow(5, 0, 1); }, "x.narrow(5, 0, 1)"},
      {[&] { s.narrow(0, 0, 1); }, "s.narrow(0, 0, 1)"},
      {[&] { x.select(0, 5); }, "x.select(0, 5)"},
      {[&] { x.select(0, -4); }, "x.select(0, -4)"},
      {[&] { x.select(3, 0); }, "x.select(3, 0)"},
      {[&] { s.select(0, 0); }, "s.select(0, 0)"},
      {[&] { x[3]; }, "x.select(0, 3)"},
      {[&] { x.chunk(0); }, "x.chunk(0)"},
      {[&] { s.chunk(1); }, "s.chunk(1)"},
      {[&] { x.split(0); }, "x.split(0)"},
      {[&] { x.split(-1); }, "x.split(-1)"},
      {[&] { s.split(1); }, "s.split(1)"},
      {[&] { x.split({1, 1}); }, "x.split([1, 1])"},
      {[&] { x.split({4, -1}); }, "x.split([4, -1])"},
      {[&] { x.unbind(3); }, "x.unbind(3)"},
      {[&] { s.unbind(0); }, "s.unbind(0)"},
      {[&] { cat({}); }, "torch.cat([])"},
      {[&] { cat({x, zeros({3, 3, 5})}); }, "torch.cat([x, torch.zeros(3, 3, 5)])"},
      {[&] { cat({x, zeros({3, 4})}); }, "torch.cat([x, torch.zeros(3, 4)])"},
      {[&] { cat({x, zeros({2, 4, 5})}, 1); }, "torch.cat([x, torch.zeros(2, 4, 5)], 1)"},
      {[&] { cat({s, x}); }, "torch.cat([s, x])"},
      {[&] { cat({x, s}); }, "torch.cat([x, s])"},
      {[&] { cat({x, x}, 3); }, "torch.cat([x, x], 3)"},
      {[&] { stack({}); }, "torch.stack([])"},
      {[&] { stack({x, zeros({3, 4})}); }, "torch.stack([x, torch.zeros(3, 4)])"},
      {[&] { stack({x, x}, 4); }, "torch.stack([x, x], 4)"},
      {[&] { x.repeat({2}); }, "x.repeat(2)"},
      {[&] { x.repeat({1, -1, 1}); }, "x.repeat(1, -1, 1)"},
      {[&] { x.flip({3}); }, "x.flip(3)"},
      {[&] { x.flip({0, 0}); }, "x.flip((0, 0))"},
  };
  for (auto& [fn, code] : cases) {
    SCOPED_TRACE(code);
    EXPECT_EQ(error_message(fn), oracle::error_of(code, in));
  }
}

TEST(ShapeJoin, CatStackValuesAndPromotion) {
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor a = sample({2, 3}, dt, 11), b = sample({2, 2}, dt, 12), c = sample({3, 2}, dt, 13);
    oracle::Inputs in{{"a", a}, {"b", b}, {"c", c}};
    EXPECT_SAME(cat({a, b}, 1), oracle::eval("torch.cat([a, b], 1)", in));
    EXPECT_SAME(cat({a, c.t()}, 0), oracle::eval("torch.cat([a, c.t()], 0)", in));  // non-contiguous
    EXPECT_SAME(cat({a, c.t()}, -2), oracle::eval("torch.cat([a, c.t()], -2)", in));
    EXPECT_SAME(cat({a}), oracle::eval("torch.cat([a])", in));
    EXPECT_SAME(stack({a, c.t(), a}), oracle::eval("torch.stack([a, c.t(), a])", in));
    EXPECT_SAME(stack({a, a}, 2), oracle::eval("torch.stack([a, a], 2)", in));
    EXPECT_SAME(stack({a, a}, -1), oracle::eval("torch.stack([a, a], -1)", in));
    EXPECT_SAME(stack({sample({}, dt), sample({}, dt, 1)}), oracle::eval("torch.stack([s, t])",
                                                                        {{"s", sample({}, dt)}, {"t", sample({}, dt, 1)}}));
  }
  // Promotion across dtypes, and legacy empty 1-D tensors skipped.
  Tensor i = sample({2, 3}, kInt, 14), d = sample({1, 3}, kDouble, 15), u = sample({2, 3}, kByte, 16);
  Tensor bo = sample({2}, kBool, 17), ub = sample({2}, kByte, 18), f = sample({2}, kFloat, 19);
  Tensor e = sample({0}, kFloat, 20);
  oracle::Inputs in{{"i", i}, {"d", d}, {"u", u}, {"bo", bo}, {"ub", ub}, {"f", f}, {"e", e}};
  EXPECT_SAME(cat({i, d, u}), oracle::eval("torch.cat([i, d, u])", in));
  EXPECT_SAME(cat({bo, ub}), oracle::eval("torch.cat([bo, ub])", in));
  EXPECT_SAME(cat({ub, f}), oracle::eval("torch.cat([ub, f])", in));
  EXPECT_SAME(cat({i, e}), oracle::eval("torch.cat([i, e])", in));
  EXPECT_SAME(cat({e, i}, 1), oracle::eval("torch.cat([e, i], 1)", in));
  EXPECT_SAME(cat({e, e}), oracle::eval("torch.cat([e, e])", in));
  EXPECT_SAME(stack({i, u}), oracle::eval("torch.stack([i, u])", in));
  EXPECT_SAME(cat({sample({0, 3}, kFloat), d}), oracle::eval("torch.cat([torch.zeros(0, 3), d])", in));
}

TEST(ShapeJoin, CatOut) {
  Tensor a = sample({2, 3}, kFloat, 21), b = sample({1, 3}, kInt, 22);
  oracle::Inputs in{{"a", a}, {"b", b}};
  Tensor out = empty({3, 3}, kDouble);
  Tensor& r = cat_out(out, {a, b});
  EXPECT_TRUE(r.is_same(out));
  EXPECT_SAME(out, oracle::eval("torch.cat([a, b], out=torch.empty(3, 3, dtype=torch.float64))", in));
  Tensor small = empty({0});
  cat_out(small, {a, b}, 0);
  EXPECT_SAME(small, oracle::eval("torch.cat([a, b], out=torch.empty(0))", in));
  Tensor iout = empty({3, 3}, kInt);
  EXPECT_EQ(error_message([&] { cat_out(iout, {a, b}); }),
            oracle::error_of("torch.cat([a, b], out=torch.empty(3, 3, dtype=torch.int32))", in));
  EXPECT_EQ(error_message([&] { cat_out(a, {a, a}); }), oracle::error_of("torch.cat([a, a], out=a)", in));
  Tensor g = sample({2, 3}, kDouble, 23).requires_grad_();
  Tensor dout = empty({4, 3}, kDouble);
  EXPECT_EQ(error_message([&] { cat_out(dout, {g, g}); }),
            oracle::error_of("torch.cat([g, g], out=torch.empty(4, 3, dtype=torch.float64))", {{"g", g}}));
}

TEST(ShapeJoin, RepeatFlipValues) {
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x = sample({2, 3}, dt, 24);
    oracle::Inputs in{{"x", x}, {"s", sample({}, dt, 25)}};
    EXPECT_SAME(x.repeat({2, 3}), oracle::eval("x.repeat(2, 3)", in));
    EXPECT_SAME(x.repeat({2, 1, 2}), oracle::eval("x.repeat(2, 1, 2)", in));
    EXPECT_SAME(x.t().repeat({1, 2}), oracle::eval("x.t().repeat(1, 2)", in));
    EXPECT_SAME(x.repeat({0, 2}), oracle::eval("x.repeat(0, 2)", in));
    EXPECT_SAME(sample({}, dt, 25).repeat({2, 3}), oracle::eval("s.repeat(2, 3)", in));
    EXPECT_SAME(sample({}, dt, 25).repeat({}), oracle::eval("s.repeat(())", in));
    EXPECT_SAME(x.flip({0}), oracle::eval("x.flip(0)", in));
    EXPECT_SAME(x.flip({-1, 0}), oracle::eval("x.flip(-1, 0)", in));
    EXPECT_SAME(x.t().flip({1}), oracle::eval("x.t().flip(1)", in));
    EXPECT_SAME(x.flip({}), oracle::eval("x.flip(())", in));
    EXPECT_SAME(sample({}, dt, 25).flip({0}), oracle::eval("s.flip(0)", in));
    EXPECT_SAME(sample({0, 2}, dt).flip({0, 1}), oracle::eval("torch.zeros(0, 2, dtype=x.dtype).flip(0, 1)", in));
  }
  // Results are new memory.
  Tensor x = sample({2, 3}, kFloat, 26);
  EXPECT_FALSE(shares_storage(x.flip({0}), x));
  EXPECT_FALSE(shares_storage(x.repeat({1, 1}), x));
  EXPECT_FALSE(shares_storage(cat({x}), x));
}

TEST(ShapeJoin, GradientsAndGradcheck) {
  Tensor a = dsample({2, 3}, 27), b = dsample({3, 2}, 28), c = dsample({3}, 29);
  Tensor y = (cat({a, b.t(), c.unsqueeze(0)}) * stack({a, b.t()}, 1).sum(1).repeat({3, 1}).narrow(0, 0, 5)).sum() +
             (a.flip({0, 1}) * a).sum();
  y.backward();
  auto ref = oracle::run(
      "y = (torch.cat([a, b.t(), c.unsqueeze(0)]) * torch.stack([a, b.t()], 1).sum(1).repeat(3, 1)[:5]).sum() + "
      "(a.flip(0, 1) * a).sum(); y.backward(); out = (y, a.grad, b.grad, c.grad)",
      {{"a", a}, {"b", b}, {"c", c}});
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(a.grad(), ref.tensor(1));
  EXPECT_SAME(b.grad(), ref.tensor(2));
  EXPECT_SAME(c.grad(), ref.tensor(3));

  auto fn = [](const autograd::variable_list& in) {
    Tensor bt = in[1].t();  // non-contiguous
    Tensor j = cat({in[0], bt, in[2].unsqueeze(0).expand({2, 3})}, 0);  // broadcast input
    Tensor s = stack({in[0], bt}, 2);
    return std::vector<Tensor>{j * j, s.repeat({1, 2, 1, 2}), j.flip({0, 1}) * in[2]};
  };
  EXPECT_TRUE(autograd::gradcheck(fn, {a, b, c}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {a, b, c}));
}
