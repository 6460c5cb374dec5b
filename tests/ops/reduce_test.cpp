// sum, mean, prod, all, any, cumsum, sum_out, mean_out against PyTorch.
#include "ops/reduce_check.h"

using namespace nabla;
using nabla::reduce_test::check_grad;
using nabla::reduce_test::layouts;
using nabla::reduce_test::matches;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {
const ScalarType kAllTypes[] = {kFloat, kDouble, kLong, kInt, kByte, kBool};
}

TEST(ReduceSum, AllDtypesAndLayouts) {
  for (ScalarType dt : kAllTypes)
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      EXPECT_TRUE(matches("a.sum()", [](const Tensor& x) { return x.sum(); }, a));
      EXPECT_TRUE(matches("a.sum(0)", [](const Tensor& x) { return x.sum({0}); }, a));
      EXPECT_TRUE(matches("a.sum(-1, keepdim=True)", [](const Tensor& x) { return x.sum({-1}, true); }, a));
      EXPECT_TRUE(matches("a.sum([0, 1])", [](const Tensor& x) { return x.sum({0, 1}); }, a));
      EXPECT_TRUE(matches("a.sum([])", [](const Tensor& x) { return x.sum(IntArrayRef{}); }, a));
      EXPECT_TRUE(matches("a.sum(dtype=torch.float64)", [](const Tensor& x) { return x.sum(kDouble); }, a));
      EXPECT_TRUE(matches("a.sum(0, dtype=torch.int32)", [](const Tensor& x) { return x.sum({0}, false, kInt); }, a));
    }
}

TEST(ReduceSum, ThreeDimsAndEdgeCases) {
  Tensor a = sample({4, 5, 6}, kFloat, 3);
  EXPECT_TRUE(matches("a.sum([0, 2])", [](const Tensor& x) { return x.sum({0, 2}); }, a));
  EXPECT_TRUE(matches("a.sum([2, 0], keepdim=True)", [](const Tensor& x) { return x.sum({2, 0}, true); }, a));
  EXPECT_TRUE(matches("a.sum(1)", [](const Tensor& x) { return x.sum({1}); }, a));
  Tensor e = zeros({0, 3});
  EXPECT_TRUE(matches("a.sum()", [](const Tensor& x) { return x.sum(); }, e));
  EXPECT_TRUE(matches("a.sum(0)", [](const Tensor& x) { return x.sum({0}); }, e));
  EXPECT_TRUE(matches("a.sum(1)", [](const Tensor& x) { return x.sum({1}); }, e));
  Tensor s = scalar_tensor(2.5);
  EXPECT_TRUE(matches("a.sum()", [](const Tensor& x) { return x.sum(); }, s));
  EXPECT_TRUE(matches("a.sum(0)", [](const Tensor& x) { return x.sum({0}); }, s));
  EXPECT_TRUE(matches("a.sum(-1, keepdim=True)", [](const Tensor& x) { return x.sum({-1}, true); }, s));
  // Broadcast (stride-0) input.
  Tensor b = sample({1, 4}, kDouble, 4).expand({3, 4});
  EXPECT_TRUE(matches("a.sum(0)", [](const Tensor& x) { return x.sum({0}); }, b));
  // Large enough for the threaded schedules.
  Tensor big = sample({300, 400}, kFloat, 5);
  EXPECT_TRUE(matches("a.sum()", [](const Tensor& x) { return x.sum(); }, big, 1e-5, 1e-3));
  EXPECT_TRUE(matches("a.sum(0)", [](const Tensor& x) { return x.sum({0}); }, big, 1e-5, 1e-4));
  EXPECT_TRUE(matches("a.sum(1)", [](const Tensor& x) { return x.sum({1}); }, big, 1e-5, 1e-4));
  Tensor bigl = sample({300, 400}, kLong, 6);
  EXPECT_TRUE(matches("a.sum()", [](const Tensor& x) { return x.sum(); }, bigl));
  EXPECT_EQ(error_message([&] { a.sum({3}); }), oracle::error_of("a.sum(3)", {{"a", a}}));
  EXPECT_EQ(error_message([&] { a.sum({1, -2}); }), oracle::error_of("a.sum([1, -2])", {{"a", a}}));
}

TEST(ReduceSum, IntegerOverflowWraps) {
  Tensor a = full({4}, Scalar(int64_t(1) << 62), kLong);
  EXPECT_TRUE(matches("a.sum()", [](const Tensor& x) { return x.sum(); }, a));
  EXPECT_TRUE(matches("a.prod()", [](const Tensor& x) { return x.prod(); }, a));
}

TEST(ReduceSum, Gradients) {
  Tensor a = sample({3, 4}, kDouble, 1);
  check_grad("a.sum()", [](const Tensor& x) { return x.sum(); }, a);
  check_grad("a.sum(0)", [](const Tensor& x) { return x.sum({0}); }, a);
  check_grad("a.t().sum(0, keepdim=True)", [](const Tensor& x) { return x.t().sum({0}, true); }, a);
  check_grad("a.expand(2, 3, 4).sum([0, 2])", [](const Tensor& x) { return x.expand({2, 3, 4}).sum({0, 2}); }, a);
}

TEST(ReduceMean, ValuesAndErrors) {
  for (ScalarType dt : {kFloat, kDouble})
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      EXPECT_TRUE(matches("a.mean()", [](const Tensor& x) { return x.mean(); }, a));
      EXPECT_TRUE(matches("a.mean(0)", [](const Tensor& x) { return x.mean({0}); }, a));
      EXPECT_TRUE(matches("a.mean([0, -1], keepdim=True)", [](const Tensor& x) { return x.mean({0, -1}, true); }, a));
      EXPECT_TRUE(matches("a.mean(dtype=torch.float64)", [](const Tensor& x) { return x.mean(kDouble); }, a));
    }
  Tensor i = sample({2, 3}, kLong, 2);
  EXPECT_EQ(error_message([&] { i.mean(); }), oracle::error_of("a.mean()", {{"a", i}}));
  EXPECT_EQ(error_message([&] { i.mean({0}); }), oracle::error_of("a.mean(0)", {{"a", i}}));
  EXPECT_EQ(error_message([&] { i.mean(kLong); }), oracle::error_of("a.mean(dtype=torch.long)", {{"a", i}}));
  EXPECT_TRUE(matches("a.mean(dtype=torch.float32)", [](const Tensor& x) { return x.mean(kFloat); }, i));
  EXPECT_TRUE(matches("a.mean()", [](const Tensor& x) { return x.mean(); }, zeros({0})));
  EXPECT_TRUE(matches("a.mean(1)", [](const Tensor& x) { return x.mean({1}); }, zeros({2, 0})));
  EXPECT_TRUE(matches("a.mean()", [](const Tensor& x) { return x.mean(); }, scalar_tensor(1.5)));
}

TEST(ReduceMean, Gradients) {
  Tensor a = sample({3, 4}, kDouble, 2);
  check_grad("a.mean()", [](const Tensor& x) { return x.mean(); }, a);
  check_grad("a.mean(1)", [](const Tensor& x) { return x.mean({1}); }, a);
  check_grad("a.t().mean([0, 1], keepdim=True)", [](const Tensor& x) { return x.t().mean({0, 1}, true); }, a);
  check_grad("a.expand(2, 3, 4).mean(0)", [](const Tensor& x) { return x.expand({2, 3, 4}).mean({0}); }, a);
}

TEST(ReduceProd, Values) {
  for (ScalarType dt : kAllTypes)
    for (auto& [name, a0] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      Tensor a = a0.dim() == 2 && a0.size(1) == 70 ? a0.narrow(1, 0, 8) : a0;  // keep products finite
      EXPECT_TRUE(matches("a.prod()", [](const Tensor& x) { return x.prod(); }, a));
      EXPECT_TRUE(matches("a.prod(0)", [](const Tensor& x) { return x.prod(0); }, a));
      EXPECT_TRUE(matches("a.prod(-1, keepdim=True)", [](const Tensor& x) { return x.prod(-1, true); }, a));
      EXPECT_TRUE(matches("a.prod(1, dtype=torch.float64)", [](const Tensor& x) { return x.prod(1, false, kDouble); }, a));
    }
  EXPECT_TRUE(matches("a.prod()", [](const Tensor& x) { return x.prod(); }, zeros({0})));
  EXPECT_TRUE(matches("a.prod(1)", [](const Tensor& x) { return x.prod(1); }, zeros({2, 0})));
  EXPECT_TRUE(matches("a.prod(0)", [](const Tensor& x) { return x.prod(0); }, scalar_tensor(3.0)));
}

TEST(ReduceProd, GradientsWithAndWithoutZeros) {
  Tensor a = sample({3, 4}, kDouble, 3);
  check_grad("a.prod()", [](const Tensor& x) { return x.prod(); }, a);
  check_grad("a.prod(1)", [](const Tensor& x) { return x.prod(1); }, a);
  check_grad("a.t().prod(0, keepdim=True)", [](const Tensor& x) { return x.t().prod(0, true); }, a);
  // 0-dim: first order only (see ReduceMinMax.Gradients).
  check_grad("a.prod()", [](const Tensor& x) { return x.prod(); }, scalar_tensor(2.5, kDouble), false);
  // Rows with no, one and two zeros.
  Tensor z = tensor({{1.5, 0.0, 2.0, -1.0}, {0.0, 3.0, 0.0, 2.0}, {1.1, 1.2, 1.3, 0.9}}, kDouble);
  check_grad("a.prod(1)", [](const Tensor& x) { return x.prod(1); }, z);
  check_grad("a.prod(0)", [](const Tensor& x) { return x.prod(0); }, z);
  Tensor one_zero = tensor({{1.5, 0.0}, {2.0, -1.0}}, kDouble);
  check_grad("a.prod()", [](const Tensor& x) { return x.prod(); }, one_zero);
  check_grad("a.prod()", [](const Tensor& x) { return x.prod(); }, z);
}

TEST(ReduceAllAny, Values) {
  for (ScalarType dt : kAllTypes)
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      EXPECT_TRUE(matches("a.all()", [](const Tensor& x) { return x.all(); }, a));
      EXPECT_TRUE(matches("a.any()", [](const Tensor& x) { return x.any(); }, a));
      EXPECT_TRUE(matches("a.all(0)", [](const Tensor& x) { return x.all(0); }, a));
      EXPECT_TRUE(matches("a.any(-1, keepdim=True)", [](const Tensor& x) { return x.any(-1, true); }, a));
      Tensor z = a.to(kBool).to(dt);  // 0/1 values: some rows all true
      EXPECT_TRUE(matches("a.all(1)", [](const Tensor& x) { return x.all(1); }, z));
      EXPECT_TRUE(matches("a.any(0)", [](const Tensor& x) { return x.any(0); }, zeros_like(z)));
    }
  EXPECT_TRUE(matches("a.all()", [](const Tensor& x) { return x.all(); }, zeros({0})));
  EXPECT_TRUE(matches("a.any()", [](const Tensor& x) { return x.any(); }, zeros({0})));
  EXPECT_TRUE(matches("a.all(0)", [](const Tensor& x) { return x.all(0); }, scalar_tensor(3.0)));
  Tensor r = sample({2, 3}, kDouble).requires_grad_();
  EXPECT_FALSE(r.all().requires_grad());
}

TEST(ReduceCumsum, ValuesAndGradients) {
  for (ScalarType dt : kAllTypes)
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      EXPECT_TRUE(matches("a.cumsum(0)", [](const Tensor& x) { return x.cumsum(0); }, a));
      EXPECT_TRUE(matches("a.cumsum(-1)", [](const Tensor& x) { return x.cumsum(-1); }, a));
      EXPECT_TRUE(matches("a.cumsum(1, dtype=torch.float64)", [](const Tensor& x) { return x.cumsum(1, kDouble); }, a));
    }
  EXPECT_TRUE(matches("a.cumsum(0)", [](const Tensor& x) { return x.cumsum(0); }, scalar_tensor(2.0)));
  EXPECT_TRUE(matches("a.cumsum(1)", [](const Tensor& x) { return x.cumsum(1); }, zeros({2, 0})));
  Tensor a = sample({3, 4}, kDouble, 4);
  check_grad("a.cumsum(0)", [](const Tensor& x) { return x.cumsum(0); }, a);
  check_grad("a.t().cumsum(1)", [](const Tensor& x) { return x.t().cumsum(1); }, a);
  check_grad("a.expand(2, 3, 4).cumsum(0)", [](const Tensor& x) { return x.expand({2, 3, 4}).cumsum(0); }, a);
  check_grad("a.cumsum(0)", [](const Tensor& x) { return x.cumsum(0); }, scalar_tensor(2.0, kDouble));
}

TEST(ReduceOut, SumOutAndMeanOut) {
  Tensor a = sample({2, 3}, kFloat, 5);
  Tensor o = empty({3});
  sum_out(o, a, {0});
  EXPECT_SAME(o, oracle::eval("a.sum(0)", {{"a", a}}));
  Tensor od = empty({3}, kDouble);
  sum_out(od, a, {0});
  EXPECT_SAME(od, oracle::run("o = torch.empty(3, dtype=torch.float64); torch.sum(a, [0], out=o); out = o", {{"a", a}}).tensor());
  Tensor ol = empty({3}, kLong);
  sum_out(ol, a, {0});
  EXPECT_SAME(ol, oracle::run("o = torch.empty(3, dtype=torch.long); torch.sum(a, [0], out=o); out = o", {{"a", a}}).tensor());
  Tensor bad = empty({3}, kDouble);
  EXPECT_EQ(error_message([&] { sum_out(bad, a, {0}, false, kFloat); }),
            oracle::error_of("torch.sum(a, [0], dtype=torch.float, out=torch.empty(3, dtype=torch.float64))", {{"a", a}}));
  // Resizing: an empty out silently, a non-empty one with PyTorch's warning.
  std::vector<std::string> warnings;
  auto prev = set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  Tensor e = empty({0});
  sum_out(e, a, {1}, true);
  EXPECT_TRUE(warnings.empty());
  EXPECT_SAME(e, oracle::eval("a.sum(1, keepdim=True)", {{"a", a}}));
  Tensor wrong = empty({5});
  mean_out(wrong, a, {0});
  set_warning_handler(prev);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("An output with one or more elements was resized since it had shape [5], which does not "
                             "match the required output shape [3]"),
            std::string::npos);
  EXPECT_SAME(wrong, oracle::eval("a.mean(0)", {{"a", a}}));
  Tensor md = empty({3}, kDouble);
  mean_out(md, a, {0});
  EXPECT_SAME(md, oracle::run("o = torch.empty(3, dtype=torch.float64); torch.mean(a, [0], out=o); out = o", {{"a", a}}).tensor());
  Tensor ml = empty({3}, kLong);
  EXPECT_EQ(error_message([&] { mean_out(ml, a, {0}); }),
            oracle::error_of("torch.mean(a, [0], out=torch.empty(3, dtype=torch.long))", {{"a", a}}));
  Tensor i = sample({2, 3}, kLong, 6);
  Tensor mf = empty({3});
  EXPECT_EQ(error_message([&] { mean_out(mf, i, {0}); }), oracle::error_of("torch.mean(a, [0], out=torch.empty(3))", {{"a", i}}));
  Tensor r = sample({2, 3}, kFloat, 7).requires_grad_();
  EXPECT_EQ(error_message([&] { sum_out(o, r, {0}); }), oracle::error_of("torch.sum(a, [0], out=torch.empty(3))", {{"a", r}}));
  EXPECT_EQ(error_message([&] { mean_out(o, r, {0}); }), oracle::error_of("torch.mean(a, [0], out=torch.empty(3))", {{"a", r}}));
  {
    NoGradGuard ng;
    sum_out(o, r, {0});
    EXPECT_SAME(o, oracle::eval("a.detach().sum(0)", {{"a", r}}));
  }
  // A strided out is written in place.
  Tensor base = zeros({6});
  Tensor strided = base.slice(0, 0, 6, 2);
  sum_out(strided, a, {0});
  EXPECT_SAME(base, oracle::run("b = torch.zeros(6); torch.sum(a, [0], out=b[::2]); out = b", {{"a", a}}).tensor());
}
