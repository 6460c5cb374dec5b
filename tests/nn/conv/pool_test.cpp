// max_pool2d (+ indices), avg_pool2d, adaptive_avg_pool2d against PyTorch: values, indices,
// gradients, grad_fn names, double backward, gradcheck/gradgradcheck and error messages.
#include <nabla/nn/functional/pooling.h>

#include <limits>
#include <string>
#include <vector>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

std::string py(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

struct PoolCase {
  std::vector<int64_t> x, k, s, p, d;
  bool ceil = false;
};

const std::vector<PoolCase> kCases = {
    {{2, 3, 8, 8}, {2}, {}, {0}, {1}},         {{1, 2, 7, 9}, {3, 2}, {2, 1}, {1, 0}, {1}, true},
    {{2, 2, 9, 8}, {3}, {2}, {1}, {2}, false}, {{3, 5, 6}, {2, 3}, {1, 2}, {1, 1}, {2, 1}, true},
    {{1, 1, 5, 5}, {4}, {3}, {2}, {1}, true},
};

}  // namespace

TEST(Pool, MaxPool2dValuesIndicesGradients) {
  for (ScalarType dt : {kFloat, kDouble})
    for (const auto& c : kCases) {
      SCOPED_TRACE("x=" + py(c.x) + " k=" + py(c.k));
      Tensor x = sample(c.x, dt, 1).requires_grad_(true);
      auto [y, idx] = max_pool2d_with_indices(x, c.k, c.s, c.p, c.d, c.ceil);
      EXPECT_EQ(y.grad_fn()->name(), "MaxPool2DWithIndicesBackward0");
      Tensor go = sample(y.sizes(), dt, 2);
      y.backward(go);
      auto r =
          oracle::run("y, i = torch.nn.functional.max_pool2d(x, " + py(c.k) + ", " + (c.s.empty() ? "None" : py(c.s)) +
                          ", " + py(c.p) + ", " + py(c.d) + ", ceil_mode=" + (c.ceil ? "True" : "False") +
                          ", return_indices=True)\ny.backward(go)\nout = (y, i, x.grad)",
                      {{"x", x}, {"go", go}});
      EXPECT_SAME(y, r.tensor(0));
      EXPECT_SAME(idx, r.tensor(1));
      EXPECT_SAME(x.grad(), r.tensor(2));
      EXPECT_SAME(max_pool2d(x, c.k, c.s, c.p, c.d, c.ceil), y);
    }
}

TEST(Pool, MaxPool2dNanInfAndTies) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = tensor({1.0, nan, 2.0, 2.0, -inf, -inf, -inf, -inf, 3.0, 3.0, 1.0, nan, -inf, 0.5, 0.5, -inf}, kDouble)
                 .view({1, 1, 4, 4});
  auto [y, idx] = max_pool2d_with_indices(x, 2, 2, 1);
  auto r = oracle::run("out = torch.nn.functional.max_pool2d(x, 2, 2, 1, return_indices=True)", {{"x", x}});
  EXPECT_SAME(y, r.tensor(0));
  EXPECT_SAME(idx, r.tensor(1));
}

TEST(Pool, AvgPool2dValuesAndGradients) {
  for (ScalarType dt : {kFloat, kDouble})
    for (const auto& c : kCases)
      for (bool include : {true, false})
        for (std::optional<int64_t> div : {std::optional<int64_t>(), std::optional<int64_t>(5)}) {
          SCOPED_TRACE("x=" + py(c.x) + " k=" + py(c.k));
          Tensor x = sample(c.x, dt, 1).requires_grad_(true);
          Tensor y = avg_pool2d(x, c.k, c.s, c.p, c.ceil, include, div);
          EXPECT_EQ(y.grad_fn()->name(), "AvgPool2DBackward0");
          Tensor go = sample(y.sizes(), dt, 2);
          y.backward(go);
          auto r = oracle::run("y = torch.nn.functional.avg_pool2d(x, " + py(c.k) + ", " +
                                   (c.s.empty() ? "None" : py(c.s)) + ", " + py(c.p) + ", " +
                                   (c.ceil ? "True" : "False") + ", " + (include ? "True" : "False") + ", " +
                                   (div ? std::to_string(*div) : "None") + ")\ny.backward(go)\nout = (y, x.grad)",
                               {{"x", x}, {"go", go}});
          EXPECT_SAME(y, r.tensor(0));
          EXPECT_SAME(x.grad(), r.tensor(1));
        }
  Tensor xl = sample({1, 2, 5, 5}, kLong, 3);
  EXPECT_SAME(avg_pool2d(xl, 2, 2, 1), oracle::eval("torch.nn.functional.avg_pool2d(x, 2, 2, 1)", {{"x", xl}}));
}

TEST(Pool, AdaptiveAvgPool2d) {
  for (ScalarType dt : {kFloat, kDouble})
    for (const std::vector<int64_t>& os : {std::vector<int64_t>{3, 3}, {4, 2}, {7, 5}, {2, 1}, {5, 9}}) {
      Tensor x = sample({2, 3, 7, 9}, dt, 1).requires_grad_(true);
      Tensor y = adaptive_avg_pool2d(x, os);
      EXPECT_EQ(y.grad_fn()->name(), "AdaptiveAvgPool2DBackward0");
      Tensor go = sample(y.sizes(), dt, 2);
      y.backward(go);
      auto r = oracle::run(
          "y = torch.nn.functional.adaptive_avg_pool2d(x, " + py(os) + ")\ny.backward(go)\nout = (y, x.grad)",
          {{"x", x}, {"go", go}});
      EXPECT_SAME(y, r.tensor(0));
      EXPECT_SAME(x.grad(), r.tensor(1));
    }
  Tensor x = sample({3, 6, 5}, kFloat, 3).requires_grad_(true);
  Tensor m = adaptive_avg_pool2d(x, {1, 1});
  EXPECT_EQ(m.grad_fn()->name(), "MeanBackward1");
  EXPECT_SAME(m, oracle::eval("torch.nn.functional.adaptive_avg_pool2d(x, 1)", {{"x", x}}));
  namespace F = nn::functional;
  EXPECT_SAME(F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions({std::nullopt, 2})),
              oracle::eval("torch.nn.functional.adaptive_avg_pool2d(x, (None, 2))", {{"x", x}}));
}

TEST(Pool, FunctionalOptions) {
  namespace F = nn::functional;
  Tensor x = sample({2, 3, 9, 8}, kFloat, 1);
  EXPECT_SAME(F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).padding(1).ceil_mode(true)),
              max_pool2d(x, 3, 2, 1, 1, true));
  auto [v, i] = F::max_pool2d_with_indices(x, F::MaxPool2dFuncOptions({2, 3}).dilation(2));
  auto [v2, i2] = max_pool2d_with_indices(x, {2, 3}, {2, 3}, 0, 2);
  EXPECT_SAME(v, v2);
  EXPECT_SAME(i, i2);
  EXPECT_SAME(F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).count_include_pad(false).padding(1).divisor_override(3)),
              avg_pool2d(x, 2, 2, 1, false, false, 3));
  EXPECT_SAME(F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(4)), adaptive_avg_pool2d(x, {4, 4}));
}

TEST(Pool, EmptyBatch) {
  Tensor x = zeros({0, 3, 4, 4});
  EXPECT_EQ(max_pool2d(x, 2).sizes(), (std::vector<int64_t>{0, 3, 2, 2}));
  EXPECT_EQ(avg_pool2d(x, 2).sizes(), (std::vector<int64_t>{0, 3, 2, 2}));
  EXPECT_EQ(adaptive_avg_pool2d(x, {2, 2}).sizes(), (std::vector<int64_t>{0, 3, 2, 2}));
}

TEST(Pool, GradcheckGradgradcheckAndDoubleBackwardNames) {
  using autograd::variable_list;
  // Distinct values keep the maxima away from ties (finite differences need a unique max).
  Tensor xm = (arange(2 * 3 * 5 * 6, kDouble).view({2, 3, 5, 6}) * 0.37).sin().requires_grad_(true);
  Tensor xt = (arange(6 * 5 * 2, kDouble).view({6, 5, 2}) * 0.61).cos().transpose(0, 2).detach().requires_grad_(true);
  auto mp = [](const variable_list& v) { return max_pool2d(v[0], {2, 3}, {1, 2}, 1, 1, true); };
  EXPECT_TRUE(autograd::gradcheck(mp, {xm}));
  EXPECT_TRUE(autograd::gradgradcheck(mp, {xm}));
  EXPECT_TRUE(autograd::gradgradcheck(mp, {xt}));
  auto ap = [](const variable_list& v) { return avg_pool2d(v[0], 3, 2, 1, true, false); };
  EXPECT_TRUE(autograd::gradcheck(ap, {xm}));
  EXPECT_TRUE(autograd::gradgradcheck(ap, {xm}));
  EXPECT_TRUE(autograd::gradgradcheck(ap, {xt}));
  auto aa = [](const variable_list& v) { return adaptive_avg_pool2d(v[0], {3, 4}); };
  EXPECT_TRUE(autograd::gradcheck(aa, {xm}));
  EXPECT_TRUE(autograd::gradgradcheck(aa, {xm}));
  EXPECT_TRUE(autograd::gradgradcheck(aa, {xt}));

  const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> ops = {
      {"MaxPool2DWithIndicesBackwardBackward0", [](const Tensor& t) { return max_pool2d(t, 2); }},
      {"AvgPool2DBackwardBackward0", [](const Tensor& t) { return avg_pool2d(t, 2); }},
      {"AdaptiveAvgPool2DBackwardBackward0",
       [](const Tensor& t) {
         return adaptive_avg_pool2d(t, {3, 2});
       }},
  };
  for (const auto& [name, op] : ops) {
    auto g = autograd::grad({op(xm).pow(2).sum()}, {xm}, {}, std::nullopt, true)[0];
    EXPECT_EQ(g.grad_fn()->name(), name);
  }
  auto g = autograd::grad({max_pool2d(xm, 2).pow(2).sum()}, {xm}, {}, std::nullopt, true)[0];
  auto gg = autograd::grad({g.pow(3).sum()}, {xm})[0];
  auto r = oracle::run(
      "g, = torch.autograd.grad(torch.nn.functional.max_pool2d(x, 2).pow(2).sum(), x, create_graph=True)\n"
      "out = (g, torch.autograd.grad(g.pow(3).sum(), x)[0])",
      {{"x", xm}});
  EXPECT_SAME(g, r.tensor(0));
  EXPECT_SAME(gg, r.tensor(1));
}

TEST(Pool, ErrorMessages) {
  Tensor x = sample({2, 3, 8, 8}, kFloat, 1);
  oracle::Inputs in = {{"x", x}};
  auto expect = [&](const std::string& py_code, auto&& fn) {
    EXPECT_EQ(error_message(fn), oracle::error_of(py_code, in)) << py_code;
  };
  using V = std::vector<int64_t>;
  const auto F = std::string("torch.nn.functional.");
  expect(F + "max_pool2d(x, 2, padding=2)", [&] { max_pool2d(x, 2, {}, 2); });
  expect(F + "max_pool2d(x, 0)", [&] { max_pool2d(x, 0); });
  expect(F + "max_pool2d(x, 2, stride=0)", [&] { max_pool2d(x, 2, 0); });
  expect(F + "max_pool2d(x, 2, dilation=0)", [&] { max_pool2d(x, 2, {}, 0, 0); });
  expect(F + "max_pool2d(x, 9)", [&] { max_pool2d(x, 9); });
  expect(F + "max_pool2d(x[0, 0], 2)", [&] { max_pool2d(x.select(0, 0).select(0, 0), 2); });
  expect(F + "max_pool2d(x, 2, padding=-1)", [&] { max_pool2d(x, 2, {}, -1); });
  expect(F + "max_pool2d(x, -1)", [&] { max_pool2d(x, -1); });
  expect(F + "max_pool2d(x, (2, 3, 4))", [&] { max_pool2d(x, V{2, 3, 4}); });
  expect(F + "max_pool2d(torch.zeros(2, 3, 0, 4), 2)", [&] { max_pool2d(zeros({2, 3, 0, 4}), 2); });
  expect(F + "max_pool2d(x.long(), 2)", [&] { max_pool2d(x.to(kLong), 2); });
  expect(F + "avg_pool2d(x, 2, padding=2)", [&] { avg_pool2d(x, 2, {}, 2); });
  expect(F + "avg_pool2d(x, 9)", [&] { avg_pool2d(x, 9); });
  expect(F + "avg_pool2d(x, 0)", [&] { avg_pool2d(x, 0); });
  expect(F + "avg_pool2d(x, 2, divisor_override=0)", [&] { avg_pool2d(x, 2, {}, 0, false, true, 0); });
  expect(F + "avg_pool2d(x[0, 0], 2)", [&] { avg_pool2d(x.select(0, 0).select(0, 0), 2); });
  expect(F + "avg_pool2d(torch.zeros(2, 3, 0, 4), 2)", [&] { avg_pool2d(zeros({2, 3, 0, 4}), 2); });
  expect(F + "adaptive_avg_pool2d(x[0, 0], 2)", [&] { adaptive_avg_pool2d(x.select(0, 0).select(0, 0), {2, 2}); });
  expect(F + "adaptive_avg_pool2d(x, (2, -1))", [&] { adaptive_avg_pool2d(x, {2, -1}); });
  expect(F + "adaptive_avg_pool2d(x, (2, 3, 4))", [&] { adaptive_avg_pool2d(x, {2, 3, 4}); });
  expect(F + "adaptive_avg_pool2d(torch.zeros(2, 3, 0, 4), 2)", [&] {
    adaptive_avg_pool2d(zeros({2, 3, 0, 4}), {2, 2});
  });
  expect(F + "adaptive_avg_pool2d(x.long(), 2)", [&] { adaptive_avg_pool2d(x.to(kLong), {2, 2}); });
}
