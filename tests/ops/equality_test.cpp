// equal, isclose, allclose against PyTorch: dtypes, broadcasting, NaN/inf, tolerances, errors.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {

const std::vector<ScalarType> kAllDtypes = {kFloat, kDouble, kLong, kInt, kByte, kBool};
constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNan = std::nan("");

Tensor values(const std::vector<double>& v, ScalarType dt = kFloat) {
  return nabla::tensor(v, TensorOptions(kDouble)).to(dt);
}

// A Python expression for exactly this double.
std::string py_float(double v) {
  if (std::isinf(v)) return "float('inf')";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "float.fromhex('%a')", v);
  return buf;
}

bool torch_bool(const std::string& expr, const oracle::Inputs& in) { return oracle::eval(expr, in).item<bool>(); }

}  // namespace

TEST(Equality, EqualMatchesTorch) {
  for (ScalarType dt : kAllDtypes) {
    auto a = sample({2, 3}, dt, 1), b = sample({2, 3}, dt, 2), c = a.clone(), at = sample({3, 2}, dt, 1).t();
    oracle::Inputs in = {{"a", a}, {"b", b}, {"c", c}, {"at", at}};
    EXPECT_EQ(a.equal(c), torch_bool("torch.tensor(a.equal(c))", in)) << dt;
    EXPECT_EQ(equal(a, b), torch_bool("torch.tensor(torch.equal(a, b))", in)) << dt;
    EXPECT_EQ(a.equal(at), torch_bool("torch.tensor(a.equal(at))", in)) << dt;
    EXPECT_EQ(at.equal(at.contiguous()), torch_bool("torch.tensor(at.equal(at.contiguous()))", in)) << dt;
  }
  // Sizes must agree exactly (no broadcasting); dtypes are promoted.
  std::vector<std::pair<Tensor, Tensor>> pairs = {
      {ones({2, 3}), ones({3})},
      {ones({1, 3}), ones({3})},
      {scalar_tensor(1.5), values({1.5})},
      {values({1, 2}, kLong), values({1, 2}, kFloat)},
      {values({1.1}, kFloat), values({1.1}, kDouble)},
      {values({255}, kByte), values({-1}, kLong)},
      {values({1, 0}, kBool), values({1, 0}, kInt)},
      {values({kNan}), values({kNan})},
      {values({0.0}), values({-0.0})},
      {values({kInf, -kInf}, kDouble), values({kInf, -kInf}, kDouble)},
      {zeros({0}), zeros({0}, kDouble)},
      {zeros({0, 2}), zeros({2, 0})},
  };
  for (const auto& [x, y] : pairs)
    EXPECT_EQ(x.equal(y), torch_bool("torch.tensor(torch.equal(x, y))", {{"x", x}, {"y", y}})) << x << " vs " << y;
}

TEST(Equality, IscloseAllDtypesAndBroadcast) {
  for (ScalarType dt : kAllDtypes) {
    auto a = sample({2, 3}, dt, 1), b = sample({3}, dt, 2), c = sample({2, 1}, dt, 1);
    oracle::Inputs in = {{"a", a}, {"b", b}, {"c", c}};
    EXPECT_SAME(a.isclose(b), oracle::eval("a.isclose(b)", in));
    EXPECT_SAME(isclose(a, c, 0.5, 1.0), oracle::eval("torch.isclose(a, c, rtol=0.5, atol=1.0)", in));
    EXPECT_SAME(isclose(b, a.t().t(), 0, 2), oracle::eval("torch.isclose(b, a, rtol=0, atol=2)", in));
    EXPECT_SAME(isclose(a, a, 0, 0), oracle::eval("torch.isclose(a, a, rtol=0, atol=0)", in));
  }
}

TEST(Equality, IscloseTolerancesAndSpecialValues) {
  struct Case {
    std::vector<double> x, y;
    ScalarType dt;
    double rtol, atol;
    bool equal_nan;
  };
  const std::vector<Case> cases = {
      {{kNan, kInf, -kInf, kInf, 1}, {kNan, kInf, -kInf, -kInf, kInf}, kFloat, 1e-5, 1e-8, false},
      {{kNan, kInf, -kInf, kInf, 1}, {kNan, kInf, -kInf, -kInf, kInf}, kDouble, 1e-5, 1e-8, true},
      {{kNan, kInf}, {kNan, kInf}, kFloat, kInf, kInf, false},
      {{1.0000001}, {1}, kFloat, 1e-7, 0, false},
      {{1.0000001}, {1}, kDouble, 1e-7, 1e-30, false},
      {{1, 2}, {1, 2.0001}, kFloat, 0, 0, false},
      {{1e10}, {1.00001e10}, kFloat, 1e-5, 1e-8, false},
      {{1099511627777.0}, {1099511627776.0}, kLong, 0, 0.5, false},
      {{1099511627777.0}, {1099511627776.0}, kDouble, 0, 0.5, false},
      {{100}, {101}, kInt, 0.00999, 0, false},
      {{-5}, {5}, kLong, 3, 0, false},
      {{5, 2, 3}, {1, 3, 5}, kByte, 0, 1, false},
      {{1, 0}, {1, 1}, kBool, 0, 5, false},
      {{1, 2}, {1, 2}, kLong, 1e-5, 2.5, true},
      {{0, -0.0, 1e-9}, {-0.0, 1e-9, 0}, kDouble, 0, 1e-10, false},
  };
  for (const auto& c : cases) {
    auto x = values(c.x, c.dt), y = values(c.y, c.dt);
    const std::string code = "torch.isclose(x, y, rtol=" + py_float(c.rtol) + ", atol=" + py_float(c.atol) +
                             ", equal_nan=" + (c.equal_nan ? "True" : "False") + ")";
    auto ref = oracle::eval(code, {{"x", x}, {"y", y}});
    EXPECT_SAME(isclose(x, y, c.rtol, c.atol, c.equal_nan), ref) << code << " " << x << " " << y;
    EXPECT_EQ(allclose(x, y, c.rtol, c.atol, c.equal_nan), ref.all().item<bool>()) << code;
  }
}

TEST(Equality, AllcloseMatchesTorch) {
  auto a = sample({3, 4}, kDouble, 1);
  auto b = a + 1e-6, c = a + 1e-3;
  oracle::Inputs in = {{"a", a}, {"b", b}, {"c", c}, {"r", sample({4}, kDouble, 1)}};
  EXPECT_EQ(a.allclose(b), torch_bool("torch.tensor(a.allclose(b))", in));
  EXPECT_EQ(a.allclose(c), torch_bool("torch.tensor(a.allclose(c))", in));
  EXPECT_EQ(allclose(a, c, 1e-2), torch_bool("torch.tensor(torch.allclose(a, c, rtol=1e-2))", in));
  EXPECT_EQ(allclose(a, in[3].second), torch_bool("torch.tensor(torch.allclose(a, r))", in));
  EXPECT_EQ(allclose(zeros({0}), zeros({0})),
            torch_bool("torch.tensor(torch.allclose(torch.zeros(0), torch.zeros(0)))", {}));
  EXPECT_SAME(isclose(zeros({0}), zeros({0})), oracle::eval("torch.isclose(torch.zeros(0), torch.zeros(0))"));
}

TEST(Equality, ResultsCarryNoHistory) {
  auto a = sample({3}, kDouble, 1).requires_grad_();
  auto r = a.isclose(a * 1.0);
  EXPECT_FALSE(r.requires_grad());
  EXPECT_EQ(r.scalar_type(), kBool);
}

TEST(Equality, ErrorsMatchTorch) {
  auto f2 = ones({2}), d2 = ones({2}, kDouble), l2 = ones({2}, kLong), f3 = ones({3}), f23 = ones({2, 3}),
       f4 = ones({4});
  oracle::Inputs in = {{"f2", f2}, {"d2", d2}, {"l2", l2}, {"f3", f3}, {"f23", f23}, {"f4", f4}};
  auto expect = [&](const std::string& code, auto fn) {
    EXPECT_EQ(error_message(fn), oracle::error_of(code, in)) << code;
  };
  expect("torch.isclose(f2, d2)", [&] { isclose(f2, d2); });
  expect("torch.isclose(f2, l2)", [&] { isclose(f2, l2); });
  expect("torch.isclose(l2, f2)", [&] { isclose(l2, f2); });
  expect("torch.allclose(f2, d2)", [&] { allclose(f2, d2); });
  expect("torch.isclose(f23, f4)", [&] { isclose(f23, f4); });
  expect("torch.allclose(f23, f4)", [&] { allclose(f23, f4); });
  expect("torch.isclose(f2, f2, rtol=-1)", [&] { isclose(f2, f2, -1); });
  expect("torch.isclose(f2, f2, rtol=-0.5)", [&] { isclose(f2, f2, -0.5); });
  expect("torch.isclose(f2, f2, atol=-1)", [&] { isclose(f2, f2, 1e-5, -1); });
  expect("torch.isclose(f2, f3, rtol=-1)", [&] { isclose(f2, f3, -1); });
  expect("torch.isclose(f2, d2, rtol=-1)", [&] { isclose(f2, d2, -1); });
}
