// var, std, norm, logsumexp, softmax, log_softmax against PyTorch.
#include <cmath>

#include "ops/reduce_check.h"

using namespace nabla;
using nabla::reduce_test::check_grad;
using nabla::reduce_test::layouts;
using nabla::reduce_test::matches;
using nabla::testing::error_message;
using nabla::testing::sample;

TEST(ReduceVarStd, Values) {
  for (ScalarType dt : {kFloat, kDouble})
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      EXPECT_TRUE(matches("a.var()", [](const Tensor& x) { return x.var(); }, a));
      EXPECT_TRUE(matches("a.var(unbiased=False)", [](const Tensor& x) { return x.var(false); }, a));
      EXPECT_TRUE(matches("a.std(0)", [](const Tensor& x) { return x.std({0}, true); }, a));
      EXPECT_TRUE(matches("a.var([0, -1], False, True)", [](const Tensor& x) { return x.var({0, -1}, false, true); }, a));
      EXPECT_TRUE(matches("a.std(-1, keepdim=True)", [](const Tensor& x) { return x.std({-1}, true, true); }, a));
    }
  // Welford keeps precision with a large offset; the threaded split combines partial moments.
  Tensor off = sample({200, 300}, kDouble, 3) + 1e6;
  EXPECT_TRUE(matches("a.var()", [](const Tensor& x) { return x.var(); }, off, 1e-9, 0));
  EXPECT_TRUE(matches("a.std(0)", [](const Tensor& x) { return x.std({0}, true); }, off, 1e-9, 0));
  EXPECT_TRUE(matches("a.var()", [](const Tensor& x) { return x.var(); }, zeros({0})));
  EXPECT_TRUE(matches("a.var(1)", [](const Tensor& x) { return x.var({1}, true); }, zeros({2, 0})));
  EXPECT_TRUE(matches("a.var()", [](const Tensor& x) { return x.var(); }, scalar_tensor(2.0)));
  EXPECT_TRUE(matches("a.std(0)", [](const Tensor& x) { return x.std({0}, true); }, sample({1, 3})));
  Tensor i = sample({2, 3}, kLong);
  EXPECT_EQ(error_message([&] { i.var(); }), oracle::error_of("a.var()", {{"a", i}}));
  EXPECT_EQ(error_message([&] { i.std({0}, true); }), oracle::error_of("a.std(0)", {{"a", i}}));
}

TEST(ReduceVarStd, Gradients) {
  Tensor a = sample({3, 4}, kDouble, 1);
  check_grad("a.var()", [](const Tensor& x) { return x.var(); }, a);
  check_grad("a.var(1, unbiased=False)", [](const Tensor& x) { return x.var({1}, false); }, a);
  check_grad("a.t().var(0, keepdim=True)", [](const Tensor& x) { return x.t().var({0}, true, true); }, a);
  check_grad("a.std()", [](const Tensor& x) { return x.std(); }, a);
  check_grad("a.std(0, unbiased=False)", [](const Tensor& x) { return x.std({0}, false); }, a);
  check_grad("a.expand(2, 3, 4).std([0, 2], keepdim=True)", [](const Tensor& x) {
    return x.expand({2, 3, 4}).std({0, 2}, true, true);
  }, a);
}

TEST(ReduceNorm, Values) {
  for (ScalarType dt : {kFloat, kDouble})
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      EXPECT_TRUE(matches("a.norm()", [](const Tensor& x) { return x.norm(); }, a));
      EXPECT_TRUE(matches("a.norm(1)", [](const Tensor& x) { return x.norm(1); }, a));
      EXPECT_TRUE(matches("a.norm(float('inf'))", [](const Tensor& x) { return x.norm(INFINITY); }, a));
      EXPECT_TRUE(matches("a.norm(float('-inf'), [0])", [](const Tensor& x) { return x.norm(-INFINITY, {0}); }, a));
      EXPECT_TRUE(matches("a.norm(0, [1])", [](const Tensor& x) { return x.norm(0, {1}); }, a));
      EXPECT_TRUE(matches("a.norm(2, [0], keepdim=True)", [](const Tensor& x) { return x.norm(2, {0}, true); }, a));
      EXPECT_TRUE(matches("a.norm(3, [-1])", [](const Tensor& x) { return x.norm(3, {-1}); }, a));
      EXPECT_TRUE(matches("a.norm(0.5)", [](const Tensor& x) { return x.norm(0.5); }, a, 1e-5, 1e-5));
      EXPECT_TRUE(matches("a.norm(2, [])", [](const Tensor& x) { return x.norm(2, IntArrayRef{}); }, a));
    }
  EXPECT_TRUE(matches("a.norm()", [](const Tensor& x) { return x.norm(); }, zeros({0})));
  EXPECT_TRUE(matches("a.norm(float('inf'), [0])", [](const Tensor& x) { return x.norm(INFINITY, {0}); }, zeros({0, 2})));
  EXPECT_TRUE(matches("a.norm(float('inf'))", [](const Tensor& x) { return x.norm(INFINITY); }, tensor({1.0, NAN, -3.0})));
  Tensor i = sample({2, 3}, kLong);
  EXPECT_EQ(error_message([&] { i.norm(); }), oracle::error_of("a.norm()", {{"a", i}}));
  EXPECT_EQ(error_message([&] { i.norm(1, {0}); }), oracle::error_of("a.norm(1, [0])", {{"a", i}}));
}

TEST(ReduceNorm, Gradients) {
  Tensor a = sample({3, 4}, kDouble, 2);
  check_grad("torch.ops.aten.norm.Scalar(a, 2)", [](const Tensor& x) { return x.norm(); }, a);
  check_grad("torch.ops.aten.norm.Scalar(a, 1)", [](const Tensor& x) { return x.norm(1); }, a);
  check_grad("torch.ops.aten.norm.Scalar(a, float('inf'))", [](const Tensor& x) { return x.norm(INFINITY); }, a);
  check_grad("a.norm(2, [1])", [](const Tensor& x) { return x.norm(2, {1}); }, a);
  check_grad("a.t().norm(1, [0], keepdim=True)", [](const Tensor& x) { return x.t().norm(1, {0}, true); }, a);
  check_grad("a.norm(float('-inf'), [1])", [](const Tensor& x) { return x.norm(-INFINITY, {1}); }, a);
  check_grad("a.norm(3, [0])", [](const Tensor& x) { return x.norm(3, {0}); }, a);
  check_grad("a.norm(0.5, [1])", [](const Tensor& x) { return x.norm(0.5, {1}); }, a);
  check_grad("a.expand(2, 3, 4).norm(2, [0, 2])", [](const Tensor& x) { return x.expand({2, 3, 4}).norm(2, {0, 2}); }, a);
  // A zero norm gives a zero gradient, not NaN.
  Tensor z = zeros({2, 3}, kDouble).requires_grad_();
  Tensor n = z.norm(2, {1});
  n.backward(ones_like(n));
  EXPECT_SAME(z.grad(), oracle::run("n = a.norm(2, [1]); n.backward(torch.ones_like(n)); out = a.grad", {{"a", z}}).tensor());
  Tensor p0 = sample({3, 4}, kDouble, 4).requires_grad_();
  Tensor y0 = p0.norm(0);
  y0.backward();
  EXPECT_SAME(p0.grad(), oracle::run("y = torch.ops.aten.norm.Scalar(a, 0); y.backward(); out = a.grad", {{"a", p0}}).tensor());
}

TEST(ReduceLogSumExp, ValuesAndStability) {
  for (ScalarType dt : {kFloat, kDouble, kLong, kBool})
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      EXPECT_TRUE(matches("a.logsumexp(0)", [](const Tensor& x) { return x.logsumexp({0}); }, a));
      EXPECT_TRUE(matches("a.logsumexp([0, 1], keepdim=True)", [](const Tensor& x) { return x.logsumexp({0, 1}, true); }, a));
      EXPECT_TRUE(matches("a.logsumexp(-1)", [](const Tensor& x) { return x.logsumexp({-1}); }, a));
    }
  Tensor s = tensor({{1e4, -1e4, 0.0}, {-INFINITY, -INFINITY, -INFINITY}, {INFINITY, 1.0, 2.0}, {-INFINITY, 1.0, 2.0}});
  EXPECT_TRUE(matches("a.logsumexp(1)", [](const Tensor& x) { return x.logsumexp({1}); }, s));
  EXPECT_TRUE(matches("a.logsumexp(1)", [](const Tensor& x) { return x.logsumexp({1}); }, zeros({2, 0})));
  EXPECT_TRUE(matches("a.logsumexp(0)", [](const Tensor& x) { return x.logsumexp({0}); }, scalar_tensor(3.0)));
}

TEST(ReduceLogSumExp, Gradients) {
  Tensor a = sample({3, 4}, kDouble, 5);
  check_grad("a.logsumexp(1)", [](const Tensor& x) { return x.logsumexp({1}); }, a);
  check_grad("a.t().logsumexp([0, 1], keepdim=True)", [](const Tensor& x) { return x.t().logsumexp({0, 1}, true); }, a);
  check_grad("a.expand(2, 3, 4).logsumexp(0)", [](const Tensor& x) { return x.expand({2, 3, 4}).logsumexp({0}); }, a);
}

TEST(ReduceSoftmax, Values) {
  for (ScalarType dt : {kFloat, kDouble})
    for (auto& [name, a] : layouts(dt)) {
      SCOPED_TRACE(std::string(toString(dt)) + " " + name);
      EXPECT_TRUE(matches("a.softmax(0)", [](const Tensor& x) { return x.softmax(0); }, a));
      EXPECT_TRUE(matches("a.softmax(-1)", [](const Tensor& x) { return x.softmax(-1); }, a));
      EXPECT_TRUE(matches("a.log_softmax(0)", [](const Tensor& x) { return x.log_softmax(0); }, a));
      EXPECT_TRUE(matches("a.log_softmax(-1)", [](const Tensor& x) { return x.log_softmax(-1); }, a));
      EXPECT_TRUE(matches("a.softmax(1, dtype=torch.float64)", [](const Tensor& x) { return x.softmax(1, kDouble); }, a));
    }
  Tensor s = tensor({{1e4, -1e4, 0.0}, {-INFINITY, -INFINITY, -INFINITY}, {INFINITY, 1.0, 2.0}, {-INFINITY, 1.0, 2.0}});
  EXPECT_TRUE(matches("a.softmax(1)", [](const Tensor& x) { return x.softmax(1); }, s));
  EXPECT_TRUE(matches("a.log_softmax(1)", [](const Tensor& x) { return x.log_softmax(1); }, s));
  EXPECT_TRUE(matches("a.softmax(0)", [](const Tensor& x) { return x.softmax(0); }, s.t()));
  EXPECT_TRUE(matches("a.log_softmax(0)", [](const Tensor& x) { return x.log_softmax(0); }, s.t()));
  EXPECT_TRUE(matches("a.softmax(0)", [](const Tensor& x) { return x.softmax(0); }, scalar_tensor(3.0)));
  EXPECT_TRUE(matches("a.log_softmax(1)", [](const Tensor& x) { return x.log_softmax(1); }, zeros({2, 0})));
  Tensor i = sample({2, 3}, kLong);
  EXPECT_TRUE(matches("a.softmax(1, dtype=torch.float32)", [](const Tensor& x) { return x.softmax(1, kFloat); }, i));
  EXPECT_EQ(error_message([&] { i.softmax(0); }), oracle::error_of("a.softmax(0)", {{"a", i}}));
  EXPECT_EQ(error_message([&] { i.softmax(1); }), oracle::error_of("a.softmax(1)", {{"a", i}}));
  EXPECT_EQ(error_message([&] { i.log_softmax(0); }), oracle::error_of("a.log_softmax(0)", {{"a", i}}));
  EXPECT_EQ(error_message([&] { i.log_softmax(1); }), oracle::error_of("a.log_softmax(1)", {{"a", i}}));
  EXPECT_EQ(error_message([&] { i.softmax(2); }), oracle::error_of("a.softmax(2)", {{"a", i}}));
}

TEST(ReduceSoftmax, SpecialValuesAndRowLengths) {
  // Rows with NaN, +-inf and all -inf, at lengths around every vector width (the vector
  // layer's main loop, its four-accumulator loop and the padded tail).
  for (ScalarType dt : {kFloat, kDouble})
    for (int64_t n : {1, 3, 7, 8, 9, 16, 31, 33, 67}) {
      SCOPED_TRACE(std::string(toString(dt)) + " n=" + std::to_string(n));
      Tensor a = (arange(4 * n, TensorOptions().dtype(dt)).reshape({4, n}) * 0.37).sin() * 20;
      a.index_put_({1, n / 2}, NAN);
      a.index_put_({2, n - 1}, INFINITY);
      a.index_put_({3}, -INFINITY);
      EXPECT_TRUE(matches("a.softmax(1)", [](const Tensor& x) { return x.softmax(1); }, a));
      EXPECT_TRUE(matches("a.log_softmax(1)", [](const Tensor& x) { return x.log_softmax(1); }, a));
    }
}

TEST(ReduceSoftmax, Gradients) {
  Tensor a = sample({3, 4}, kDouble, 6);
  check_grad("a.softmax(1)", [](const Tensor& x) { return x.softmax(1); }, a);
  check_grad("a.t().softmax(1)", [](const Tensor& x) { return x.t().softmax(1); }, a);
  check_grad("a.expand(2, 3, 4).softmax(0)", [](const Tensor& x) { return x.expand({2, 3, 4}).softmax(0); }, a);
  check_grad("a.log_softmax(0)", [](const Tensor& x) { return x.log_softmax(0); }, a);
  check_grad("a.t().log_softmax(-1)", [](const Tensor& x) { return x.t().log_softmax(-1); }, a);
  check_grad("a.softmax(0)", [](const Tensor& x) { return x.softmax(0); }, scalar_tensor(1.5, kDouble));
  Tensor f = sample({2, 3}, kFloat, 7).requires_grad_();
  Tensor y = f.log_softmax(1, kDouble);
  y.sum().backward();
  auto ref = oracle::run("y = a.log_softmax(1, dtype=torch.float64); y.sum().backward(); out = (y, a.grad)", {{"a", f}});
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(f.grad(), ref.tensor(1));
}
