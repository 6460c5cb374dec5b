// Tensor printing must read exactly like Python's repr (str(t) in PyTorch 1.13).
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::sample;

namespace {

const std::vector<ScalarType> kAllDtypes = {kFloat, kDouble, kLong, kInt, kByte, kBool};

std::string torch_str(const std::string& expr, const oracle::Inputs& in) {
  auto r = oracle::run("out = str(" + expr + ")", in);
  EXPECT_TRUE(r.ok) << r.error;
  return r.ok ? r.strings.at(0) : "";
}

// Expects t to print as the tensor t itself prints in PyTorch.
void expect_prints_like_torch(const Tensor& t) { EXPECT_EQ(t.toString(), torch_str("t", {{"t", t}})); }

Tensor values(const std::vector<double>& v, ScalarType dt = kFloat) {
  return nabla::tensor(v, TensorOptions(kDouble)).to(dt);
}

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNan = std::nan("");

}  // namespace

TEST(Print, EveryDtypeAndRank) {
  const std::vector<std::vector<int64_t>> shapes = {{}, {1}, {5}, {2, 3}, {3, 1, 4}, {2, 2, 2, 3}};
  int seed = 0;
  for (ScalarType dt : kAllDtypes)
    for (const auto& s : shapes) {
      SCOPED_TRACE(::testing::Message() << dt << " " << IntArrayRef(s));
      expect_prints_like_torch(sample(s, dt, ++seed));
    }
}

TEST(Print, MagnitudesAndNotation) {
  const std::vector<std::vector<double>> cases = {
      {1.5, -2.25, 3.125},
      {1, 2, 3},
      {-1, 0, 1},
      {1e-5, 1},
      {1e9, 1},
      {1e8, 2},
      {1e3, 1},
      {1001, 1},
      {123456.7, 0.5},
      {1e-4, 1e-3},
      {5e-5},
      {1e10, -3e-7},
      {0.1, 0.2, 12.5},
      {-0.0, 1},
      {0, 0},
      {-0.0},
      {100, 2000, -30000},
      {1e200, 1e-200},
      {2.5},
      {0.00015, 0.1},
      {12345678, 1},
      {123456789, 1},
      {1.23456789, -98.7654321},
  };
  for (const auto& c : cases)
    for (ScalarType dt : {kFloat, kDouble}) {
      if (dt == kFloat && std::fabs(c[0]) > 1e30) continue;  // not representable in float32
      SCOPED_TRACE(::testing::Message() << dt << " case starting " << c[0]);
      expect_prints_like_torch(values(c, dt));
      expect_prints_like_torch(values(c, dt).reshape({-1, 1}));
      if (c.size() == 1) expect_prints_like_torch(values(c, dt).reshape({}));
    }
  for (double scale : {1e-7, 1e-3, 1.0, 1e4, 1e9}) expect_prints_like_torch(sample({3, 4}, kFloat, 3) * scale);
}

TEST(Print, NanAndInf) {
  const std::vector<std::vector<double>> cases = {
      {kNan}, {kInf}, {-kInf, kInf}, {kNan, 1.5, -kInf}, {kNan, 2, 3}, {kInf, 1e-6, 3}, {kNan, 1e9, 1}, {kNan, kInf, 0},
  };
  for (const auto& c : cases)
    for (ScalarType dt : {kFloat, kDouble}) {
      expect_prints_like_torch(values(c, dt));
      if (c.size() == 1) expect_prints_like_torch(values(c, dt).reshape({}));
    }
}

TEST(Print, IntegersAndBools) {
  expect_prints_like_torch(values({-120, 3, 45}, kLong));
  expect_prints_like_torch(values({1e15, -7}, kLong));
  expect_prints_like_torch(values({255, 0, 7}, kByte));
  expect_prints_like_torch(values({-2147483648.0, 5}, kInt));
  expect_prints_like_torch(values({1, 0, 1}, kBool));
  expect_prints_like_torch(values({1, 1}, kBool));
  expect_prints_like_torch(values({0}, kBool).reshape({}));
  expect_prints_like_torch(values({7}, kInt).reshape({}));
}

TEST(Print, EmptyTensors) {
  for (ScalarType dt : kAllDtypes) {
    expect_prints_like_torch(zeros({0}, dt));
    expect_prints_like_torch(zeros({0, 3}, dt));
    expect_prints_like_torch(zeros({2, 0, 1}, dt));
  }
}

TEST(Print, LongLinesWrap) {
  expect_prints_like_torch(sample({40}, kFloat, 1));
  expect_prints_like_torch(sample({3, 25}, kDouble, 2) * 1e-5);
  expect_prints_like_torch(sample({50}, kLong, 3) * 1000);
  expect_prints_like_torch(sample({30}, kBool, 4));
}

TEST(Print, SummarisesAboveThreshold) {
  expect_prints_like_torch(arange(2000.).reshape({2, 1000}));
  expect_prints_like_torch(arange(1001));
  expect_prints_like_torch(sample({1000}, kFloat, 5));  // exactly the threshold: all shown
  expect_prints_like_torch(sample({10, 10, 11}, kFloat, 6));
  expect_prints_like_torch(sample({7, 3, 50}, kDouble, 7));
  expect_prints_like_torch(sample({2, 600}, kBool, 8));
  expect_prints_like_torch(sample({3, 2, 200}, kInt, 9));
}

TEST(Print, NonContiguous) {
  expect_prints_like_torch(sample({3, 4}, kFloat, 1).t());
  expect_prints_like_torch(sample({2, 3, 4}, kLong, 2).permute({2, 0, 1}));
  expect_prints_like_torch(sample({1, 4}, kDouble, 3).expand({3, 4}));
  expect_prints_like_torch(sample({40, 40}, kFloat, 4).t());
}

TEST(Print, AutogradSuffixes) {
  auto a = sample({2, 3}, kFloat, 1).requires_grad_();
  auto d = sample({4}, kDouble, 2).requires_grad_();
  auto big = sample({10, 10}, kDouble, 3).requires_grad_();
  oracle::Inputs in = {{"a", a}, {"d", d}, {"big", big}};
  EXPECT_EQ(a.toString(), torch_str("a", in));
  EXPECT_EQ(d.toString(), torch_str("d", in));
  EXPECT_EQ((a * 2).toString(), torch_str("a * 2", in));
  EXPECT_EQ((d + d).toString(), torch_str("d + d", in));
  EXPECT_EQ(d.sum().toString(), torch_str("d.sum()", in));
  EXPECT_EQ(big.sum(0).toString(), torch_str("big.sum(0)", in));
  EXPECT_EQ(big.toString(), torch_str("big", in));
  EXPECT_EQ((big * 1e-6).toString(), torch_str("big * 1e-6", in));
  EXPECT_EQ(a.detach().toString(), torch_str("a.detach()", in));
  auto e = zeros({0, 2}, kDouble).requires_grad_();
  EXPECT_EQ(e.toString(), torch_str("e", {{"e", e}}));
}

TEST(Print, StreamOperatorsAndDtypeNames) {
  auto t = sample({2, 2}, kInt, 1);
  std::ostringstream os;
  os << t;
  EXPECT_EQ(os.str(), torch_str("t", {{"t", t}}));
  const std::vector<std::pair<ScalarType, std::string>> names = {{kFloat, "torch.float32"}, {kDouble, "torch.float64"},
                                                                 {kLong, "torch.int64"},    {kInt, "torch.int32"},
                                                                 {kByte, "torch.uint8"},    {kBool, "torch.bool"}};
  for (const auto& [dt, py] : names) {
    std::ostringstream s;
    s << dt;
    EXPECT_EQ(s.str(), torch_str(py, {}));
  }
  EXPECT_EQ(Tensor().toString(), "[ Tensor (undefined) ]");
}
