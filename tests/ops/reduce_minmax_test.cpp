// max, min, argmax, argmin, amax, amin against PyTorch.
#include "ops/reduce_check.h"

using namespace nabla;
using nabla::reduce_test::check_grad;
using nabla::reduce_test::layouts;
using nabla::reduce_test::matches;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {
const ScalarType kAllTypes[] = {kFloat, kDouble, kLong, kInt, kByte, kBool};

// (values, indices) of max/min with a dim against PyTorch.
void expect_dim_result(const std::tuple<Tensor, Tensor>& r, const std::string& expr, const Tensor& a) {
  auto ref = oracle::run("v, i = " + expr + "\nout = (v, i)", {{"a", a}});
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_SAME(std::get<0>(r), ref.tensor(0));
  EXPECT_SAME(std::get<1>(r), ref.tensor(1));
}
}  // namespace

TEST(ReduceMinMax, WholeTensorAllDtypes) {
  for (ScalarType dt : kAllTypes)
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      EXPECT_TRUE(matches("a.max()", [](const Tensor& x) { return x.max(); }, a));
      EXPECT_TRUE(matches("a.min()", [](const Tensor& x) { return x.min(); }, a));
      EXPECT_TRUE(matches("a.amax()", [](const Tensor& x) { return x.amax(); }, a));
      EXPECT_TRUE(matches("a.amin(0)", [](const Tensor& x) { return x.amin({0}); }, a));
      EXPECT_TRUE(matches("a.amax([0, 1], keepdim=True)", [](const Tensor& x) { return x.amax({0, 1}, true); }, a));
      EXPECT_TRUE(matches("a.amin(-1, keepdim=True)", [](const Tensor& x) { return x.amin({-1}, true); }, a));
      if (dt != kBool) {
        EXPECT_TRUE(matches("a.argmax()", [](const Tensor& x) { return x.argmax(); }, a));
        EXPECT_TRUE(matches("a.argmin()", [](const Tensor& x) { return x.argmin(); }, a));
        EXPECT_TRUE(matches("a.argmax(0)", [](const Tensor& x) { return x.argmax(0); }, a));
        EXPECT_TRUE(matches("a.argmin(1, keepdim=True)", [](const Tensor& x) { return x.argmin(1, true); }, a));
        EXPECT_TRUE(matches("a.argmax(keepdim=True)", [](const Tensor& x) { return x.argmax(std::nullopt, true); }, a));
      }
    }
}

TEST(ReduceMinMax, WithDimAllDtypes) {
  for (ScalarType dt : kAllTypes)
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      expect_dim_result(a.max(0), "a.max(0)", a);
      expect_dim_result(a.min(-1), "a.min(-1)", a);
      expect_dim_result(a.max(1, true), "a.max(1, keepdim=True)", a);
    }
}

TEST(ReduceMinMax, TiesNanAndEdgeCases) {
  // Ties: the first index wins, in every schedule.
  Tensor t = tensor({{1.0, 3.0, 3.0, 0.5}, {2.0, 2.0, 0.0, 2.0}, {3.0, 1.0, 3.0, 1.0}});
  expect_dim_result(t.max(1), "a.max(1)", t);
  expect_dim_result(t.max(0), "a.max(0)", t);
  expect_dim_result(t.min(1), "a.min(1)", t);
  EXPECT_TRUE(matches("a.argmax()", [](const Tensor& x) { return x.argmax(); }, t));
  EXPECT_TRUE(matches("a.argmin(0)", [](const Tensor& x) { return x.argmin(0); }, t));
  Tensor w = zeros({5, 40});  // all equal, columns schedule
  expect_dim_result(w.max(0), "a.max(0)", w);
  // NaN propagates and its first index is returned.
  Tensor n = tensor({{1.0, NAN, 3.0, NAN}, {2.0, 1.0, 0.0, 4.0}});
  EXPECT_TRUE(matches("a.max()", [](const Tensor& x) { return x.max(); }, n));
  EXPECT_TRUE(matches("a.amin(1)", [](const Tensor& x) { return x.amin({1}); }, n));
  EXPECT_TRUE(matches("a.argmin()", [](const Tensor& x) { return x.argmin(); }, n));
  expect_dim_result(n.max(1), "a.max(1)", n);
  expect_dim_result(n.min(0), "a.min(0)", n);
  // Large: threaded schedules.
  Tensor big = sample({300, 400}, kFloat, 9);
  EXPECT_TRUE(matches("a.argmax()", [](const Tensor& x) { return x.argmax(); }, big));
  EXPECT_TRUE(matches("a.max()", [](const Tensor& x) { return x.max(); }, big));
  expect_dim_result(big.min(0), "a.min(0)", big);
  // 0-dim.
  Tensor s = scalar_tensor(4.0);
  EXPECT_TRUE(matches("a.max()", [](const Tensor& x) { return x.max(); }, s));
  expect_dim_result(s.max(0), "a.max(0)", s);
  EXPECT_TRUE(matches("a.argmax(0)", [](const Tensor& x) { return x.argmax(0); }, s));
  EXPECT_TRUE(matches("a.amax(-1)", [](const Tensor& x) { return x.amax({-1}); }, s));
  // Empty: reductions over a non-empty dim work, the others fail with PyTorch's messages.
  Tensor e = zeros({0, 3});
  expect_dim_result(e.max(1), "a.max(1)", e);
  EXPECT_TRUE(matches("a.amax(1)", [](const Tensor& x) { return x.amax({1}); }, e));
  EXPECT_TRUE(matches("a.argmin(1)", [](const Tensor& x) { return x.argmin(1); }, e));
  EXPECT_EQ(error_message([&] { e.max(); }), oracle::error_of("a.max()", {{"a", e}}));
  EXPECT_EQ(error_message([&] { e.min(); }), oracle::error_of("a.min()", {{"a", e}}));
  EXPECT_EQ(error_message([&] { e.max(0); }), oracle::error_of("a.max(0)", {{"a", e}}));
  EXPECT_EQ(error_message([&] { e.min(0); }), oracle::error_of("a.min(0)", {{"a", e}}));
  EXPECT_EQ(error_message([&] { e.amax(); }), oracle::error_of("a.amax()", {{"a", e}}));
  EXPECT_EQ(error_message([&] { e.amin({0}); }), oracle::error_of("a.amin(0)", {{"a", e}}));
  EXPECT_EQ(error_message([&] { e.amax({1, 0}); }), oracle::error_of("a.amax([1, 0])", {{"a", e}}));
  EXPECT_EQ(error_message([&] { e.argmax(); }), oracle::error_of("a.argmax()", {{"a", e}}));
  EXPECT_EQ(error_message([&] { e.argmin(0); }), oracle::error_of("a.argmin(0)", {{"a", e}}));
  Tensor b = sample({3}, kBool);
  EXPECT_EQ(error_message([&] { b.argmax(); }), oracle::error_of("a.argmax()", {{"a", b}}));
  EXPECT_EQ(error_message([&] { b.argmin(0); }), oracle::error_of("a.argmin(0)", {{"a", b}}));
  EXPECT_EQ(error_message([&] { t.max(2); }), oracle::error_of("a.max(2)", {{"a", t}}));
  EXPECT_EQ(error_message([&] { t.amax({0, 0}); }), oracle::error_of("a.amax([0, 0])", {{"a", t}}));
}

TEST(ReduceMinMax, Gradients) {
  Tensor a = sample({3, 4}, kDouble, 1);
  check_grad("a.max()", [](const Tensor& x) { return x.max(); }, a);
  check_grad("a.min()", [](const Tensor& x) { return x.min(); }, a);
  check_grad("a.max(1)[0]", [](const Tensor& x) { return std::get<0>(x.max(1)); }, a);
  check_grad("a.t().min(1, keepdim=True)[0]", [](const Tensor& x) { return std::get<0>(x.t().min(1, true)); }, a);
  check_grad("a.expand(2, 3, 4).max(0)[0]", [](const Tensor& x) { return std::get<0>(x.expand({2, 3, 4}).max(0)); }, a);
  check_grad("a.amax(0)", [](const Tensor& x) { return x.amax({0}); }, a);
  check_grad("a.t().amin([0, 1], keepdim=True)", [](const Tensor& x) { return x.t().amin({0, 1}, true); }, a);
  // 0-dim: the gradient is the incoming one itself; gradgradcheck would read its perturbed
  // outputs through that alias (autograd::gradcheck does not copy them), so first order only.
  check_grad("a.max(0)[0]", [](const Tensor& x) { return std::get<0>(x.max(0)); }, scalar_tensor(2.0, kDouble), false);
  Tensor x = sample({3, 4}, kDouble, 2).requires_grad_();
  auto [v, i] = x.max(1);
  EXPECT_TRUE(v.requires_grad());
  EXPECT_FALSE(i.requires_grad());
  EXPECT_FALSE(x.argmax().requires_grad());
}

TEST(ReduceMinMax, GradientsWithTies) {
  // Whole-tensor max/min and amax share the gradient among ties; max(dim) gives it to the
  // returned index. (No gradcheck here: the functions are not differentiable at ties.)
  Tensor t = tensor({{1.0, 3.0, 3.0}, {3.0, 0.0, 0.0}}, kDouble).requires_grad_();
  for (const char* expr : {"a.max()", "a.min()", "a.amax(1)", "a.amin(0)", "a.max(1)[0]", "a.min(0)[0]"}) {
    SCOPED_TRACE(expr);
    Tensor y;
    std::string e = expr;
    if (e == "a.max()") y = t.max();
    else if (e == "a.min()") y = t.min();
    else if (e == "a.amax(1)") y = t.amax({1});
    else if (e == "a.amin(0)") y = t.amin({0});
    else if (e == "a.max(1)[0]") y = std::get<0>(t.max(1));
    else y = std::get<0>(t.min(0));
    Tensor g = ones_like(y);
    Tensor dx = autograd::grad({y}, {t}, {g})[0];
    auto ref = oracle::run(std::string("y = ") + expr + "\nout = torch.autograd.grad(y, a, torch.ones_like(y))[0]", {{"a", t}});
    EXPECT_SAME(dx, ref.tensor());
  }
  Tensor n = tensor({1.0, NAN, 2.0, NAN}, kDouble).requires_grad_();
  Tensor dn = autograd::grad({n.max()}, {n})[0];
  EXPECT_SAME(dn, oracle::run("out = torch.autograd.grad(a.max(), a)[0]", {{"a", n}}).tensor());
}
