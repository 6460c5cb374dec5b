// index_select, gather, scatter, scatter_add, tril/triu, one_hot, nonzero, where(condition) —
// compared with PyTorch.
#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::sample;
using nabla::testing::same;

namespace {

const std::vector<ScalarType> kAllTypes = {kFloat, kDouble, kLong, kInt, kByte, kBool};

std::string torch_grad_fn(const std::string& expr, const oracle::Inputs& in) {
  auto r = oracle::run("out = (" + expr + ").grad_fn.name()", in);
  EXPECT_TRUE(r.ok) << r.error;
  return r.strings.empty() ? "" : r.strings.at(0);
}

Tensor dsample(IntArrayRef shape, int seed) { return sample(shape, kDouble, seed).requires_grad_(); }

Tensor longs(std::vector<int64_t> v, IntArrayRef shape) {
  return tensor(v, kLong).reshape(shape);
}

}  // namespace

TEST(IndexOps, IndexSelectGatherValuesForEveryDtype) {
  Tensor i1 = longs({2, 0, 2, 1}, {4});
  Tensor gi = longs({0, 2, 1, 1, 2, 0, 0, 0}, {2, 4});
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x = sample({3, 4}, dt, 1);
    Tensor xt = sample({4, 3}, dt, 2).t();  // non-contiguous
    oracle::Inputs in{{"x", x}, {"y", sample({4, 3}, dt, 2)}, {"i1", i1}, {"gi", gi}};
    EXPECT_SAME(x.index_select(0, i1.narrow(0, 0, 3)), oracle::eval("x.index_select(0, i1[:3])", in));
    EXPECT_SAME(x.index_select(1, i1), oracle::eval("x.index_select(1, i1)", in));
    EXPECT_SAME(xt.index_select(-1, i1.to(kInt)), oracle::eval("y.t().index_select(-1, i1.int())", in));
    EXPECT_SAME(x.index_select(1, i1.slice(0, 0, 4, 2)), oracle::eval("x.index_select(1, i1[::2])", in));
    EXPECT_SAME(x.index_select(0, longs({}, {0})), oracle::eval("x.index_select(0, torch.tensor([], dtype=torch.long))", in));
    EXPECT_SAME(x[0].index_select(0, longs({1}, {})), oracle::eval("x[0].index_select(0, torch.tensor(1))", in));
    EXPECT_SAME(x.gather(0, gi.narrow(1, 0, 3)), oracle::eval("x.gather(0, gi[:, :3])", in));
    EXPECT_SAME(x.gather(1, gi), oracle::eval("x.gather(1, gi)", in));
    EXPECT_SAME(xt.gather(-1, gi.t().narrow(0, 0, 3)), oracle::eval("y.t().gather(-1, gi.t()[:3])", in));
    EXPECT_SAME(x.gather(1, longs({}, {0, 4})), oracle::eval("x.gather(1, torch.zeros(0, 4, dtype=torch.long))", in));
    EXPECT_SAME(sample({}, dt, 3).gather(0, longs({0, 0}, {2})),
                oracle::eval("s.gather(0, torch.tensor([0, 0]))", {{"s", sample({}, dt, 3)}}));
  }
}

TEST(IndexOps, ScatterValuesForEveryDtype) {
  Tensor idx = longs({0, 2, 1, 0, 1, 1}, {2, 3});
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x = sample({3, 4}, dt, 4);
    Tensor src = sample({2, 4}, dt, 5);
    Tensor srct = sample({5, 2}, dt, 6).t();  // non-contiguous
    oracle::Inputs in{{"x", x}, {"src", src}, {"srcu", sample({5, 2}, dt, 6)}, {"idx", idx}};
    EXPECT_SAME(x.scatter(0, idx, src), oracle::eval("x.scatter(0, idx, src)", in));
    EXPECT_SAME(x.scatter(1, idx, srct), oracle::eval("x.scatter(1, idx, srcu.t())", in));
    EXPECT_SAME(x.scatter(0, idx, 2.5), oracle::eval("x.scatter(0, idx, 2.5)", in));
    EXPECT_SAME(x.scatter(1, idx.t(), 1), oracle::eval("x.scatter(1, idx.t(), 1)", in));
    EXPECT_SAME(x.scatter_add(0, idx, src), oracle::eval("x.scatter_add(0, idx, src)", in));
    EXPECT_SAME(x.t().scatter_add(0, idx.t(), srct.t()), oracle::eval("x.t().scatter_add(0, idx.t(), srcu)", in));
    EXPECT_SAME(x.scatter(0, longs({}, {0, 3}), src), oracle::eval("x.scatter(0, torch.zeros(0, 3, dtype=torch.long), src)", in));
    Tensor y = x.clone();
    Tensor& r = y.scatter_(1, idx, src);
    EXPECT_TRUE(r.is_same(y));
    EXPECT_SAME(y, oracle::eval("x.clone().scatter_(1, idx, src)", in));
    y.scatter_add_(0, idx, src).scatter_(0, idx, 3);
    EXPECT_SAME(y, oracle::eval("x.clone().scatter_(1, idx, src).scatter_add_(0, idx, src).scatter_(0, idx, 3)", in));
  }
}

TEST(IndexOps, TrilTriuValues) {
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x = sample({2, 3, 4}, dt, 7);
    oracle::Inputs in{{"x", x}};
    for (int64_t k : {-5, -1, 0, 1, 2, 10}) {
      EXPECT_SAME(x.tril(k), oracle::eval("x.tril(" + std::to_string(k) + ")", in));
      EXPECT_SAME(x.triu(k), oracle::eval("x.triu(" + std::to_string(k) + ")", in));
      EXPECT_SAME(x.transpose(1, 2).tril(k), oracle::eval("x.transpose(1, 2).tril(" + std::to_string(k) + ")", in));
    }
    EXPECT_SAME(tril(sample({0, 3}, dt)), oracle::eval("torch.zeros(0, 3, dtype=x.dtype).tril()", in));
    Tensor y = x.clone();
    y.tril_(1);
    EXPECT_SAME(y, oracle::eval("x.clone().tril_(1)", in));
    y.triu_(-1);
    EXPECT_SAME(y, oracle::eval("x.clone().tril_(1).triu_(-1)", in));
  }
}

TEST(IndexOps, OneHotNonzeroWhere) {
  Tensor c = longs({3, 0, 1, 3, 2, 0}, {2, 3});
  oracle::Inputs ci{{"c", c}};
  EXPECT_SAME(one_hot(c), oracle::eval("torch.nn.functional.one_hot(c)", ci));
  EXPECT_SAME(one_hot(c, 6), oracle::eval("torch.nn.functional.one_hot(c, 6)", ci));
  EXPECT_SAME(one_hot(c.t()), oracle::eval("torch.nn.functional.one_hot(c.t())", ci));
  EXPECT_SAME(one_hot(longs({}, {0}), 3), oracle::eval("torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.long), 3)"));
  EXPECT_SAME(one_hot(longs({2}, {})), oracle::eval("torch.nn.functional.one_hot(torch.tensor(2))"));
  for (ScalarType dt : kAllTypes) {
    SCOPED_TRACE(toString(dt));
    Tensor x = sample({3, 4}, dt, 8);
    if (dt != kBool) x = x * (sample({3, 4}, kBool, 9)).to(dt);  // some zeros
    oracle::Inputs in{{"x", x}};
    EXPECT_SAME(x.nonzero(), oracle::eval("x.nonzero()", in));
    EXPECT_SAME(nonzero(x.t()), oracle::eval("torch.nonzero(x.t())", in));
    EXPECT_SAME(nonzero(x.select(0, 1)), oracle::eval("torch.nonzero(x[1])", in));
    EXPECT_SAME(nonzero(x.select(0, 0).select(0, 0)), oracle::eval("torch.nonzero(x[0, 0])", in));
    EXPECT_SAME(nonzero(sample({0, 2}, dt)), oracle::eval("torch.nonzero(torch.zeros(0, 2, dtype=x.dtype))", in));
    auto w = where(x.t());
    auto r = oracle::run("out = torch.where(x.t())", in);
    ASSERT_EQ(w.size(), r.outputs.size());
    for (size_t i = 0; i < w.size(); ++i) EXPECT_SAME(w[i], r.tensor(i));
  }
  for (int v : {0, 3}) {
    Tensor s = scalar_tensor(v);
    auto w = where(s);
    auto r = oracle::run("out = torch.where(s)", {{"s", s}});
    ASSERT_EQ(w.size(), r.outputs.size());
    EXPECT_SAME(w[0], r.tensor(0));
  }
}

TEST(IndexOps, GradFnNamesMatchTorch) {
  Tensor x = dsample({3, 4}, 10);
  Tensor src = dsample({2, 4}, 11);
  Tensor idx = longs({0, 2, 1, 0, 1, 1, 2, 2}, {2, 4});
  oracle::Inputs in{{"x", x}, {"src", src}, {"idx", idx}};
  std::vector<std::pair<Tensor, std::string>> cases = {
      {x.index_select(0, idx[0]), "x.index_select(0, idx[0])"},
      {x.gather(0, idx), "x.gather(0, idx)"},
      {x.scatter(0, idx, src), "x.scatter(0, idx, src)"},
      {x.scatter(0, idx, 1.5), "x.scatter(0, idx, 1.5)"},
      {x.scatter_add(0, idx, src), "x.scatter_add(0, idx, src)"},
      {x.tril(), "x.tril()"},
      {x.triu(1), "x.triu(1)"},
      {(x * 1).scatter_(0, idx, src), "(x * 1).scatter_(0, idx, src)"},
      {(x * 1).scatter_(0, idx, 2), "(x * 1).scatter_(0, idx, 2)"},
      {(x * 1).scatter_add_(0, idx, src), "(x * 1).scatter_add_(0, idx, src)"},
      {(x * 1).tril_(), "(x * 1).tril_()"},
      {(x * 1).triu_(), "(x * 1).triu_()"},
  };
  for (auto& [t, expr] : cases) {
    SCOPED_TRACE(expr);
    ASSERT_TRUE(t.grad_fn());
    EXPECT_EQ(t.grad_fn()->name(), torch_grad_fn(expr, in));
  }
  // index_select's backward is index_add (IndexAddBackward0 in double backward).
  Tensor g = dsample({4, 4}, 12);
  Tensor i4 = longs({0, 0, 2, 1}, {4});
  auto gi = autograd::grad({x.index_select(0, i4)}, {x}, {g}, std::nullopt, true)[0];
  auto ref = oracle::run(
      "gi, = torch.autograd.grad(x.index_select(0, i), x, g, create_graph=True); out = (gi, gi.grad_fn.name())",
      {{"x", x}, {"g", g}, {"i", i4}});
  EXPECT_SAME(gi, ref.tensor(0));
  EXPECT_EQ(gi.grad_fn()->name(), ref.strings.at(1));
}

TEST(IndexOps, GradientsMatchTorch) {
  Tensor x = dsample({3, 4}, 13);
  Tensor src = dsample({2, 4}, 14);
  Tensor idx = longs({0, 2, 1, 0, 1, 1, 2, 2}, {2, 4});
  Tensor i4 = longs({2, 0, 2, 1}, {4});
  Tensor y = (x.index_select(1, i4) * x.gather(0, idx.repeat({2, 1}).narrow(0, 0, 3))).sum() +
             (x.scatter(0, idx, src) * x).sum() + (x.scatter_add(1, idx.narrow(0, 0, 2), src) * x).sum() +
             (x.scatter(1, idx, 0.5) * x.tril(-1) + x.triu(1)).sum();
  y.backward();
  auto ref = oracle::run(
      "y = (x.index_select(1, i4) * x.gather(0, idx.repeat(2, 1)[:3])).sum() + (x.scatter(0, idx, src) * x).sum()"
      " + (x.scatter_add(1, idx[:2], src) * x).sum() + (x.scatter(1, idx, 0.5) * x.tril(-1) + x.triu(1)).sum();"
      "y.backward(); out = (y, x.grad, src.grad)",
      {{"x", x}, {"src", src}, {"idx", idx}, {"i4", i4}});
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
  EXPECT_SAME(src.grad(), ref.tensor(2));
}

TEST(IndexOps, Gradcheck) {
  Tensor x = dsample({3, 4}, 15);
  Tensor xt = dsample({4, 3}, 16);
  Tensor src = dsample({4, 2}, 17);
  Tensor row = dsample({4}, 18);
  Tensor idx = longs({0, 2, 1, 0, 1, 1, 2, 0}, {2, 4});  // scatter: unique per column for scatter
  Tensor uidx = longs({0, 2, 1, 0, 1, 0, 2, 2}, {2, 4});
  Tensor i4 = longs({2, 0, 2, 1}, {4});
  auto fn = [&](const autograd::variable_list& in) {
    Tensor a = in[0] + in[1].t() + in[3];  // non-contiguous and broadcast inputs
    Tensor s = in[2].t();                 // non-contiguous src
    return std::vector<Tensor>{a.index_select(1, i4) * a.index_select(0, i4.narrow(0, 0, 3)),
                               a.gather(0, idx) * a.gather(1, idx),
                               a.scatter_add(0, idx, s),
                               a.scatter(0, uidx.narrow(0, 0, 1), s.narrow(0, 0, 1)) * a,
                               a.scatter(1, idx.narrow(1, 0, 1), 2.0) * a,
                               (a * a).tril(1) + a.triu(-1)};
  };
  EXPECT_TRUE(autograd::gradcheck(fn, {x, xt, src, row}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x, xt, src, row}));
}

TEST(IndexOps, ErrorsMatchTorch) {
  Tensor x = sample({3, 4, 5}, kFloat, 19);
  Tensor m = sample({3, 4}, kFloat, 20);
  Tensor s = sample({}, kFloat, 21);
  oracle::Inputs in{{"x", x}, {"m", m}, {"s", s}};
  auto L = [](std::vector<int64_t> v, IntArrayRef shape) { return longs(std::move(v), shape); };
  std::vector<std::pair<std::function<void()>, std::string>> cases = {
      {[&] { x.index_select(0, L({3}, {1})); }, "x.index_select(0, torch.tensor([3]))"},
      {[&] { x.index_select(0, L({-1}, {1})); }, "x.index_select(0, torch.tensor([-1]))"},
      {[&] { x.index_select(0, L({0}, {1, 1})); }, "x.index_select(0, torch.tensor([[0]]))"},
      {[&] { x.index_select(0, zeros({1})); }, "x.index_select(0, torch.zeros(1))"},
      {[&] { x.index_select(3, L({0}, {1})); }, "x.index_select(3, torch.tensor([0]))"},
      {[&] { x.gather(0, L({3}, {1, 1, 1})); }, "x.gather(0, torch.tensor([[[3]]]))"},
      {[&] { x.gather(0, L({-1}, {1, 1, 1})); }, "x.gather(0, torch.tensor([[[-1]]]))"},
      {[&] { x.gather(0, L({0}, {1, 1, 1}).to(kInt)); }, "x.gather(0, torch.tensor([[[0]]]).int())"},
      {[&] { x.gather(0, L({0}, {1, 1})); }, "x.gather(0, torch.tensor([[0]]))"},
      {[&] { x.gather(1, zeros({4, 1, 1}, kLong)); }, "x.gather(1, torch.zeros(4, 1, 1, dtype=torch.long))"},
      {[&] { x.gather(3, zeros({1, 1, 1}, kLong)); }, "x.gather(3, torch.zeros(1, 1, 1, dtype=torch.long))"},
      {[&] { x.scatter(0, L({3}, {1, 1, 1}), x); }, "x.scatter(0, torch.tensor([[[3]]]), x)"},
      {[&] { x.scatter(0, L({0}, {1, 1, 1}).to(kInt), x); }, "x.scatter(0, torch.tensor([[[0]]]).int(), x)"},
      {[&] { x.scatter(0, L({0}, {1, 1, 1}), x.to(kDouble)); }, "x.scatter(0, torch.tensor([[[0]]]), x.double())"},
      {[&] { x.scatter(0, zeros({1, 1, 1}, kLong), zeros({1, 1})); },
       "x.scatter(0, torch.zeros(1, 1, 1, dtype=torch.long), torch.zeros(1, 1))"},
      {[&] { x.scatter(0, zeros({1, 6, 1}, kLong), x); }, "x.scatter(0, torch.zeros(1, 6, 1, dtype=torch.long), x)"},
      {[&] { x.scatter(0, zeros({1, 1, 1}, kLong), zeros({1, 1, 0})); },
       "x.scatter(0, torch.zeros(1, 1, 1, dtype=torch.long), torch.zeros(1, 1, 0))"},
      {[&] { x.scatter(0, zeros({1, 6, 1}, kLong), 1.0); }, "x.scatter(0, torch.zeros(1, 6, 1, dtype=torch.long), 1.0)"},
      {[&] { x.scatter(0, zeros({1, 1}, kLong), 1.0); }, "x.scatter(0, torch.zeros(1, 1, dtype=torch.long), 1.0)"},
      {[&] { x.scatter_add(0, L({3}, {1, 1, 1}), x); }, "x.scatter_add(0, torch.tensor([[[3]]]), x)"},
      {[&] { x.scatter_add(0, L({0}, {1, 1, 1}), x.to(kDouble)); }, "x.scatter_add(0, torch.tensor([[[0]]]), x.double())"},
      {[&] { zeros({3}).tril(); }, "torch.zeros(3).tril()"},
      {[&] { s.triu(); }, "s.triu()"},
      {[&] { one_hot(L({1, 2}, {2}), 2); }, "torch.nn.functional.one_hot(torch.tensor([1, 2]), 2)"},
      {[&] { one_hot(L({-1, 2}, {2})); }, "torch.nn.functional.one_hot(torch.tensor([-1, 2]))"},
      {[&] { one_hot(m); }, "torch.nn.functional.one_hot(m)"},
      {[&] { one_hot(L({}, {0})); }, "torch.nn.functional.one_hot(torch.zeros(0, dtype=torch.long))"},
  };
  for (auto& [fn, code] : cases) {
    SCOPED_TRACE(code);
    EXPECT_EQ(error_message(fn), oracle::error_of(code, in));
  }
  // In-place rules: a leaf that requires grad cannot be scattered into.
  Tensor leaf = dsample({3}, 22);
  EXPECT_EQ(error_message([&] { leaf.scatter_(0, L({0}, {1}), 1.0); }),
            oracle::error_of("a = a.detach().requires_grad_(); a.scatter_(0, torch.tensor([0]), 1.0)", {{"a", leaf}}));
}
