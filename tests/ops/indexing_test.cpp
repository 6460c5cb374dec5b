// Python-style indexing: Tensor::index, operator[], index_put_ — compared with PyTorch's x[...]
// and x[...] = v.
#include "support/testing.h"

using namespace nabla;
using namespace nabla::indexing;
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
Tensor longs(std::vector<int64_t> v, IntArrayRef shape) { return tensor(v, kLong).reshape(shape); }

// The index forms tested below, with their Python spelling; i, j, k are index tensors and
// mask / mrow are bool masks given to the oracle.
struct Case {
  std::vector<TensorIndex> index;
  std::string python;
};

std::vector<Case> basic_cases() {
  return {
      {{0}, "[0]"},
      {{-1, Slice(1, None)}, "[-1, 1:]"},
      {{Slice(None, None, 2), None, "..."}, "[::2, None, ...]"},
      {{Ellipsis, 1}, "[..., 1]"},
      {{Slice(-3, -1), Slice(), 2}, "[-3:-1, :, 2]"},
      {{None}, "[None]"},
      {{Slice(5, 2)}, "[5:2]"},
      {{Slice(-10, 10, 3)}, "[-10:10:3]"},
      {{1, None, Slice(None, 3), None}, "[1, None, :3, None]"},
      {{"...", None}, "[..., None]"},
      {{Slice(1, None), "...", Slice(None, None, 2)}, "[1:, ..., ::2]"},
      {{Ellipsis, 0, Ellipsis}, "[..., 0, ...]"},
      {{longs({1}, {})}, "[torch.tensor(1)]"},
  };
}

// x has shape [3, 4, 5]; i, j: int64 [2]; k: int64 [2, 2]; mask: bool [3, 4]; mrow: bool [4];
// m0: bool [3].
struct Indices {
  Tensor i = longs({2, -1}, {2});
  Tensor j = longs({0, 2}, {2});
  Tensor k = longs({0, 1, 2, 0}, {2, 2});
  Tensor mask = sample({3, 4}, kBool, 40);
  Tensor mrow = sample({4}, kBool, 41);
  Tensor m0 = sample({3}, kBool, 42);
  oracle::Inputs inputs(const Tensor& x) const {
    return {{"x", x}, {"i", i}, {"j", j}, {"k", k}, {"mask", mask}, {"mrow", mrow}, {"m0", m0}};
  }
};

std::vector<Case> advanced_cases(const Indices& t) {
  return {
      {{t.i}, "[i]"},
      {{Slice(), t.j}, "[:, j]"},
      {{t.i, t.j}, "[i, j]"},
      {{t.k, Slice(), t.j}, "[k, :, j]"},
      {{Slice(), t.j, t.i.unsqueeze(1)}, "[:, j, i.unsqueeze(1)]"},
      {{1, t.j}, "[1, j]"},
      {{t.j, 0}, "[j, 0]"},
      {{t.i, 0, t.j}, "[i, 0, j]"},
      {{None, Slice(), t.j}, "[None, :, j]"},
      {{"...", t.i}, "[..., i]"},
      {{t.k}, "[k]"},
      {{t.mask}, "[mask]"},
      {{Slice(), t.mrow}, "[:, mrow]"},
      {{t.m0, Slice(1, None)}, "[m0, 1:]"},
      {{true}, "[True]"},
      {{false}, "[False]"},
      {{Slice(), true, 1}, "[:, True, 1]"},
      {{scalar_tensor(true)}, "[torch.tensor(True)]"},
      {{longs({}, {0})}, "[torch.tensor([], dtype=torch.long)]"},
  };
}

}  // namespace

TEST(Indexing, BasicIndexValuesAndViews) {
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x = sample({3, 4, 5}, dt, 1);
    Tensor xt = sample({5, 4, 3}, dt, 2).permute({2, 1, 0});  // non-contiguous
    for (const auto& c : basic_cases()) {
      SCOPED_TRACE(c.python);
      Tensor r = x.index(c.index);
      EXPECT_SAME(r, oracle::eval("x" + c.python, {{"x", x}}));
      EXPECT_TRUE(shares_storage(r, x));
      EXPECT_SAME(xt.index(c.index), oracle::eval("y.permute(2, 1, 0)" + c.python, {{"y", sample({5, 4, 3}, dt, 2)}}));
    }
  }
  // Writing through a basic index writes into the tensor.
  Tensor x = zeros({3, 4});
  x.index({1, Slice(None, None, 2)}).fill_(5);
  EXPECT_SAME(x, oracle::run("x = torch.zeros(3, 4); x[1, ::2] = 5; out = x").tensor());
  Tensor s = sample({}, kFloat, 3);
  EXPECT_SAME(s.index({"..."}), oracle::eval("s[...]", {{"s", s}}));
  EXPECT_SAME(s.index({None}), oracle::eval("s[None]", {{"s", s}}));
  EXPECT_TRUE(shares_storage(s.index({Ellipsis}), s));
}

TEST(Indexing, AdvancedIndexValues) {
  Indices t;
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x = sample({3, 4, 5}, dt, 4);
    Tensor xt = sample({5, 4, 3}, dt, 5).permute({2, 1, 0});
    auto in = t.inputs(x);
    in.emplace_back("y", sample({5, 4, 3}, dt, 5));
    for (const auto& c : advanced_cases(t)) {
      SCOPED_TRACE(c.python);
      EXPECT_SAME(x.index(c.index), oracle::eval("x" + c.python, in));
      EXPECT_SAME(xt.index(c.index), oracle::eval("y.permute(2, 1, 0)" + c.python, in));
    }
    EXPECT_SAME(x[t.i], oracle::eval("x[i]", in));
    EXPECT_SAME(x[1], oracle::eval("x[1]", in));
    EXPECT_FALSE(shares_storage(x[t.i], x));
  }
}

TEST(Indexing, GradFnNamesMatchTorch) {
  Indices t;
  Tensor x = dsample({3, 4, 5}, 6);
  auto in = t.inputs(x);
  std::vector<std::pair<std::vector<TensorIndex>, std::string>> cases = {
      {{0}, "[0]"},         {{Slice(1, 3)}, "[1:3]"},      {{Slice()}, "[:]"},
      {{"..."}, "[...]"},   {{None}, "[None]"},           {{Slice(), 1}, "[:, 1]"},
      {{t.i}, "[i]"},       {{t.mask}, "[mask]"},         {{true}, "[True]"},
      {{t.i, 1}, "[i, 1]"}, {{longs({1}, {})}, "[torch.tensor(1)]"},
  };
  for (auto& [idx, py] : cases) {
    SCOPED_TRACE(py);
    Tensor r = x.index(idx);
    ASSERT_TRUE(r.grad_fn());
    EXPECT_EQ(r.grad_fn()->name(), torch_grad_fn("x" + py, in));
  }
  // The backward of advanced indexing is an accumulating index_put (IndexPutImplBackward0).
  Tensor g = dsample({2, 4, 5}, 7);
  Tensor ii = longs({0, 0}, {2});
  auto gi = autograd::grad({x.index({ii})}, {x}, {g}, std::nullopt, true)[0];
  auto ref = oracle::run("gi, = torch.autograd.grad(x[i], x, g, create_graph=True); out = (gi, gi.grad_fn.name())",
                         {{"x", x}, {"g", g}, {"i", ii}});
  EXPECT_SAME(gi, ref.tensor(0));
  EXPECT_EQ(gi.grad_fn()->name(), ref.strings.at(1));
}

TEST(Indexing, GradientsMatchTorchAndGradcheck) {
  Indices t;
  Tensor x = dsample({3, 4, 5}, 8);
  Tensor y;
  for (const auto& c : advanced_cases(t)) {
    Tensor r = x.index(c.index);
    Tensor term = (r * r).sum();
    y = y.defined() ? y + term : term;
  }
  for (const auto& c : basic_cases()) y = y + (x.index(c.index) * 3).sum();
  y.backward();
  std::string code = "y = 0\nfor e in [";
  for (const auto& c : advanced_cases(t)) code += "lambda: x" + c.python + ", ";
  code += "]:\n  r = e(); y = y + (r * r).sum()\nfor e in [";
  for (const auto& c : basic_cases()) code += "lambda: x" + c.python + ", ";
  code += "]:\n  y = y + (e() * 3).sum()\ny.backward(); out = (y, x.grad)";
  auto ref = oracle::run(code, t.inputs(x));
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));

  Tensor a = dsample({3, 4, 5}, 9), b = dsample({5, 4, 3}, 10), w = dsample({5}, 11);
  auto fn = [&](const autograd::variable_list& in) {
    Tensor u = in[0] + in[1].permute({2, 1, 0}) * in[2];  // non-contiguous and broadcast inputs
    return std::vector<Tensor>{u.index({t.k, Slice(), t.j}), u.index({t.mask}), u.index({Slice(), t.j, 1}),
                               u.index({Slice(1, None), None, "...", Slice(None, None, 2)}),
                               u.index({longs({1, 1, 0}, {3})}) * 2};
  };
  EXPECT_TRUE(autograd::gradcheck(fn, {a, b, w}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {a, b, w}));
}

TEST(Indexing, IndexPutValues) {
  Indices t;
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x0 = sample({3, 4, 5}, dt, 12);
    auto in = t.inputs(x0);
    for (const auto& c : basic_cases()) {
      SCOPED_TRACE(c.python);
      // A value broadcast over the last dims.
      Tensor x = x0.clone();
      Tensor shape_ref = x.index(c.index);
      Tensor v = sample(shape_ref.dim() > 0 ? IntArrayRef(shape_ref.sizes()).slice(shape_ref.dim() - 1)
                                            : IntArrayRef(), dt, 13);
      Tensor& r = x.index_put_(c.index, v);
      EXPECT_TRUE(r.is_same(x));
      in.emplace_back("v", v);
      EXPECT_SAME(x, oracle::run("x = x.clone(); x" + c.python + " = v; out = x", in).tensor());
      in.pop_back();
      Tensor xs = x0.clone();
      xs.index_put_(c.index, 1);
      EXPECT_SAME(xs, oracle::run("x = x.clone(); x" + c.python + " = 1; out = x", in).tensor());
    }
    for (const auto& c : advanced_cases(t)) {
      SCOPED_TRACE(c.python);
      Tensor x = x0.clone();
      Tensor v = sample(x.index(c.index).sizes(), dt, 14);
      x.index_put_(c.index, v);
      in.emplace_back("v", v);
      EXPECT_SAME(x, oracle::run("x = x.clone(); x" + c.python + " = v; out = x", in).tensor());
      in.pop_back();
      Tensor xs = x0.clone();
      xs.index_put_(c.index, 0);
      EXPECT_SAME(xs, oracle::run("x = x.clone(); x" + c.python + " = 0; out = x", in).tensor());
    }
  }
  // Non-contiguous destination, broadcast value, duplicate indices (the last write wins).
  Tensor base = sample({5, 3}, kFloat, 15);
  Tensor x = base.t();
  Tensor v = sample({1, 5}, kFloat, 16);
  x.index_put_({longs({0, 2, 0}, {3})}, v);
  EXPECT_SAME(base, oracle::run("b = b.clone(); x = b.t(); x[torch.tensor([0, 2, 0])] = v; out = b",
                                {{"b", sample({5, 3}, kFloat, 15)}, {"v", v}})
                        .tensor());
  // A basic-index assignment converts the value's dtype.
  Tensor xi = zeros({3}, kLong);
  xi.index_put_({0}, scalar_tensor(2.7));
  EXPECT_SAME(xi, oracle::run("x = torch.zeros(3, dtype=torch.long); x[0] = torch.tensor([2.7]); out = x").tensor());
}

TEST(Indexing, IndexPutAutograd) {
  Indices t;
  Tensor a = dsample({3, 4, 5}, 17);
  Tensor v = dsample({5}, 18);
  Tensor w = dsample({2, 1}, 19);
  auto in = t.inputs(a);
  in.emplace_back("a", a);
  in.emplace_back("v", v);
  in.emplace_back("w", w);
  Tensor x = a * 2;
  const uint32_t ver = x._version();
  x.index_put_({0, Slice(1, 3)}, v);
  EXPECT_EQ(x._version(), ver + 1);
  EXPECT_EQ(x.grad_fn()->name(), torch_grad_fn("(lambda y: (y.__setitem__((0, slice(1, 3)), v), y)[1])(a * 2)", in));
  x.index_put_({t.i, Slice(), t.j}, w);
  x.index_put_({t.mask}, 0.5);
  (x * x).sum().backward();
  auto ref = oracle::run(
      "x = a * 2; x[0, 1:3] = v; x[i, :, j] = w; x[mask] = 0.5; (x * x).sum().backward();"
      "out = (x, a.grad, v.grad, w.grad)",
      in);
  EXPECT_SAME(x.detach(), ref.tensor(0));
  EXPECT_SAME(a.grad(), ref.tensor(1));
  EXPECT_SAME(v.grad(), ref.tensor(2));
  EXPECT_SAME(w.grad(), ref.tensor(3));

  // PyTorch's node: CopySlices when the index has a basic part, else IndexPutBackward0.
  std::vector<std::pair<std::vector<TensorIndex>, std::string>> forms = {
      {{t.i}, "[i]"},          {{t.i, Slice(), t.j}, "[i, :, j]"}, {{Slice(), t.j}, "[:, j]"},
      {{t.mask}, "[mask]"},    {{"...", t.i}, "[..., i]"},        {{0, t.i}, "[0, i]"},
      {{Slice()}, "[:]"},      {{0}, "[0]"},                      {{longs({0}, {})}, "[torch.tensor(0)]"},
      {{true}, "[True]"},      {{None, t.i}, "[None, i]"},
  };
  for (auto& [idx, py] : forms) {
    SCOPED_TRACE(py);
    Tensor z = a * 2;
    z.index_put_(idx, 1.0);
    auto r = oracle::run("z = a * 2; z" + py + " = 1.; out = z.grad_fn.name()", in);
    EXPECT_EQ(z.grad_fn()->name(), r.strings.at(0));
  }

  // A tensor without history gets one when the value requires grad.
  Tensor z = zeros({3, 4});
  Tensor vf = sample({4}, kFloat, 20).requires_grad_();
  z.index_put_({longs({1}, {1})}, vf);
  EXPECT_TRUE(z.requires_grad());

  auto fn = [&](const autograd::variable_list& inp) {
    Tensor y = inp[0].clone();
    y.index_put_({t.k, Slice(), t.j}, inp[1]);              // broadcast value
    y.index_put_({Slice(None, None, 2), 1}, inp[2].t());    // non-contiguous value
    y.index_put_({longs({0, 2}, {2}), 0, 0}, inp[1].select(1, 0).select(1, 0));
    return y * y;
  };
  Tensor p = dsample({2, 2, 4}, 21), q = dsample({5, 2}, 22);
  EXPECT_TRUE(autograd::gradcheck(fn, {a.detach().requires_grad_(), p.narrow(2, 0, 1), q}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {a.detach().requires_grad_(), p.narrow(2, 0, 1), q}));

  // In-place rules for leaves.
  Tensor leaf = dsample({3}, 23);
  EXPECT_EQ(error_message([&] { leaf.index_put_({longs({0}, {1})}, 1.0); }),
            oracle::error_of("a = a.detach().requires_grad_(); a.index_put_((torch.tensor([0]),), torch.tensor(1., dtype=torch.float64))", {{"a", leaf}}));
  EXPECT_EQ(error_message([&] { leaf.index_put_({0}, 1.0); }), oracle::error_of("a = a.detach().requires_grad_(); a[0] = 1.0", {{"a", leaf}}));
}

TEST(Indexing, ErrorsMatchTorch) {
  Tensor x = sample({3, 4, 5}, kFloat, 24);
  Tensor y = zeros({3, 4});
  oracle::Inputs in{{"x", x}, {"y", y}};
  std::vector<std::pair<std::function<void()>, std::string>> cases = {
      {[&] { x.index({5}); }, "x[5]"},
      {[&] { x.index({Slice(), -5}); }, "x[:, -5]"},
      {[&] { x.index({0, 0, 0, 0}); }, "x[0, 0, 0, 0]"},
      {[&] { x.index({Slice(1, 2), Slice(), Slice(), Slice()}); }, "x[1:2, :, :, :]"},
      {[&] { x.index({Slice(None, None, -1)}); }, "x[::-1]"},
      {[&] { x.index({Slice(None, None, 0)}); }, "x[::0]"},
      {[&] { x.index({longs({3}, {1})}); }, "x[torch.tensor([3])]"},
      {[&] { x.index({Slice(), longs({9}, {1})}); }, "x[:, torch.tensor([9])]"},
      {[&] { x.index({longs({0, 1}, {2}), Slice(), longs({5}, {1})}); }, "x[torch.tensor([0, 1]), :, torch.tensor([5])]"},
      {[&] { x.index({zeros({1})}); }, "x[torch.zeros(1)]"},
      {[&] { x.index({longs({0}, {1}).to(kInt)}); }, "x[torch.tensor([0]).int()]"},
      {[&] { x.index({scalar_tensor(true).expand({2})}); }, "x[torch.tensor([True, True])]"},
      {[&] { x.index({Slice(), scalar_tensor(true).expand({2})}); }, "x[:, torch.tensor([True, True])]"},
      {[&] { x.index({0, scalar_tensor(true).expand({1, 2})}); }, "x[0, torch.tensor([[True, True]])]"},
      {[&] { x.index({longs({0, 1}, {2}), longs({0, 1, 2}, {3})}); }, "x[torch.tensor([0, 1]), torch.tensor([0, 1, 2])]"},
      {[&] { y.index_put_({0}, ones({5})); }, "y[0] = torch.ones(5)"},
      {[&] { y.index_put_({longs({0, 1}, {2})}, ones({3, 4})); }, "y[torch.tensor([0, 1])] = torch.ones(3, 4)"},
      {[&] { y.index_put_({longs({0, 1}, {2})}, ones({3})); }, "y[torch.tensor([0, 1])] = torch.ones(3)"},
      {[&] { y.index_put_({longs({0}, {1})}, ones({4}, kDouble)); },
       "y[torch.tensor([0])] = torch.ones(4, dtype=torch.float64)"},
      {[&] { y.index_put_({longs({5}, {1})}, 1); }, "y[torch.tensor([5])] = 1"},
  };
  for (auto& [fn, code] : cases) {
    SCOPED_TRACE(code);
    EXPECT_EQ(error_message(fn), oracle::error_of(code, in));
  }
  // libtorch's message for a string index other than "..." (Python has no such path).
  EXPECT_EQ(error_message([] { TensorIndex bad("..x"); }),
            "Expected \"...\" to represent an ellipsis index, but got \"..x\"");
}
