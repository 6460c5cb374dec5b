// float16, int16 and int8 (Note [Narrow dtypes compute wide]): names, promotion, conversions,
// factories, printing, element access, arithmetic, reductions, indexing and errors, each
// against python3-torch.
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;

namespace {

const ScalarType kAll[] = {kByte, kChar, kShort, kInt, kLong, kHalf, kFloat, kDouble, kBool};

std::string py(ScalarType t) { return "torch." + std::string(toString(t)); }

// Values every dtype holds: negative ones wrap for uint8, nonzero ones are true for bool.
Tensor values_as(ScalarType t) { return tensor({-3, 0, 1, 2, 7, 100, -128, 127}, kLong).to(t); }

}  // namespace

TEST(NarrowDtypes, NamesAndSizesAreTorchs) {
  for (ScalarType t : {kHalf, kShort, kChar}) {
    auto ref = oracle::run("t = torch.zeros(2, dtype=" + py(t) + "); out = (str(t.dtype), t.type(), t.element_size())");
    EXPECT_EQ("torch." + std::string(toString(t)), ref.strings.at(0));
    EXPECT_EQ(legacyTypeName(t), ref.strings.at(1));
    EXPECT_EQ(static_cast<int64_t>(elementSize(t)), ref.outputs.at(2).item<int64_t>());
    EXPECT_EQ(zeros({2}, t).element_size(), ref.outputs.at(2).item<int64_t>());
  }
  EXPECT_EQ(scalarTypeName(kHalf), "Half");
  EXPECT_EQ(scalarTypeName(kShort), "Short");
  EXPECT_EQ(scalarTypeName(kChar), "Char");
  EXPECT_TRUE(kFloat16 == kHalf && kInt16 == kShort && kInt8 == kChar);
  EXPECT_TRUE(isFloatingType(kHalf) && isIntegralType(kShort, false) && isIntegralType(kChar, false));
  EXPECT_EQ(CppTypeToScalarType<Half>::value, kHalf);
  EXPECT_EQ(CppTypeToScalarType<int16_t>::value, kShort);
  EXPECT_EQ(CppTypeToScalarType<int8_t>::value, kChar);
}

TEST(NarrowDtypes, PromoteTypesTableIsTorchs) {
  std::string code = "ts = [";
  for (ScalarType t : kAll) code += py(t) + ", ";
  code += "]\nout = tuple(torch.zeros((), dtype=torch.promote_types(a, b)) for a in ts for b in ts)";
  auto ref = oracle::run(code);
  size_t i = 0;
  for (ScalarType a : kAll)
    for (ScalarType b : kAll) {
      EXPECT_EQ(toString(promoteTypes(a, b)), toString(ref.outputs.at(i++).scalar_type()))
          << toString(a) << " with " << toString(b);
    }
}

TEST(NarrowDtypes, ResultTypesOfTensorsAndScalars) {
  const Tensor i8 = values_as(kChar), u8 = values_as(kByte), h = values_as(kHalf), i16 = values_as(kShort);
  const oracle::Inputs in = {{"i8", i8}, {"u8", u8}, {"h", h}, {"i16", i16}};
  auto ref = oracle::run(
      "out = (i8 + u8, h + i8, h + torch.ones(8, dtype=torch.int64), h + torch.ones(8), i8 * 2.5, h * 2, "
      "i16 + torch.tensor(3), i8 + torch.tensor(3.5), h + torch.tensor(2.0, dtype=torch.float64), i16 / 2)",
      in);
  const Tensor got[] = {i8 + u8,
                        h + i8,
                        h + ones({8}, kLong),
                        h + ones({8}),
                        i8 * 2.5,
                        h * 2,
                        i16 + scalar_tensor(3, kLong),
                        i8 + scalar_tensor(3.5, kFloat),
                        h + scalar_tensor(2.0, kDouble),
                        i16 / 2};
  for (size_t i = 0; i < std::size(got); ++i) EXPECT_TRUE(same(got[i], ref.outputs.at(i), 1e-6, 1e-6)) << i;
}

TEST(NarrowDtypes, HalfRoundsToNearestEvenAsC10) {
  // Ties, subnormals, overflow to inf, the largest finite value, signed zero and NaN.
  const Tensor f = tensor({1.0, 1.00048828125, 1.00146484375, 65504.0, 65519.0, 65520.0, 1e6, 5.96e-8, 2.98e-8, 2.99e-8,
                           6.1e-5, 1e-30, -0.0, -2.5e-6, 0.1, 1.0 / 3},
                          kFloat);
  const Tensor h = f.to(kHalf);
  auto ref = oracle::run("out = (f.half(), f.half().view(torch.int16))", {{"f", f}});
  EXPECT_TRUE(same(h, ref.outputs.at(0), 0, 0));
  const Tensor bits = ref.outputs.at(1);
  for (int64_t i = 0; i < f.numel(); ++i) {
    const Half direct(f.data_ptr<float>()[i]);
    EXPECT_EQ(static_cast<int16_t>(direct.x), bits.data_ptr<int16_t>()[i]) << f.data_ptr<float>()[i];
    EXPECT_EQ(h.data_ptr<Half>()[i].x, direct.x);
  }
  const Half nan(std::numeric_limits<float>::quiet_NaN());
  EXPECT_TRUE(std::isnan(static_cast<float>(nan)));
  EXPECT_EQ(static_cast<float>(Half(0.1f)), 0.0999755859375f);
  EXPECT_EQ(tensor({1.5}, kHalf).item<Half>().x, Half(1.5f).x);
  EXPECT_EQ(static_cast<float>(scalar_tensor(-2.25, kHalf).item<Half>()), -2.25f);
}

TEST(NarrowDtypes, ConversionsBetweenEveryPair) {
  for (ScalarType from : kAll) {
    for (ScalarType to : kAll) {
      // Negative floating values have no uint8 value (undefined in C++, whatever PyTorch gives).
      const Tensor v = isFloatingType(from) && to == kByte ? values_as(from).abs() : values_as(from);
      const Tensor a = v.reshape({2, 4}).t();  // strided
      auto ref = oracle::eval("a.to(" + py(to) + ")", {{"a", a}});
      EXPECT_TRUE(same(a.to(to), ref, 0, 0)) << toString(from) << " -> " << toString(to);
      Tensor dst = zeros({4, 2}, to);
      dst.copy_(a);
      EXPECT_TRUE(same(dst, ref, 0, 0)) << "copy_ " << toString(from) << " -> " << toString(to);
    }
  }
  // Out-of-range values wrap (int8/int16) or overflow to inf (float16), as in PyTorch.
  const Tensor big = tensor({300.0, -129.0, 40000.0, 1e5, -70000.0}, kDouble);
  for (ScalarType to : {kChar, kShort, kHalf}) {
    const Tensor src = to == kHalf ? big : big.to(kLong);
    EXPECT_TRUE(same(src.to(to), oracle::eval("a.to(" + py(to) + ")", {{"a", src}}), 0, 0)) << toString(to);
  }
}

TEST(NarrowDtypes, Factories) {
  for (ScalarType t : {kHalf, kShort, kChar}) {
    const std::string d = "dtype=" + py(t);
    auto ref =
        oracle::run("out = (torch.zeros(2, 3, " + d + "), torch.ones(4, " + d + "), torch.full((3,), 5, " + d +
                    "), torch.arange(7, " + d + "), torch.arange(-3, 9, 2, " + d + "), torch.linspace(0, 10, 5, " + d +
                    "), torch.eye(3, " + d + "), torch.tensor([[1, -2], [3, 4]], " + d + "))");
    const Tensor got[] = {zeros({2, 3}, t),    ones({4}, t),          full({3}, 5, t), arange(7, t),
                          arange(-3, 9, 2, t), linspace(0, 10, 5, t), eye(3, t),       tensor({{1, -2}, {3, 4}}, t)};
    for (size_t i = 0; i < std::size(got); ++i)
      EXPECT_TRUE(same(got[i], ref.outputs.at(i), 0, 0)) << toString(t) << " " << i;
    EXPECT_EQ(empty({2}, t).scalar_type(), t);
    EXPECT_EQ(zeros_like(ones({2}, kFloat), t).scalar_type(), t);
  }
  EXPECT_TRUE(same(arange(0, 1, 0.1, kHalf), oracle::eval("torch.arange(0, 1, 0.1, dtype=torch.float16)"), 0, 0));
  EXPECT_TRUE(same(full({2}, 0.1, kHalf), oracle::eval("torch.full((2,), 0.1, dtype=torch.float16)"), 0, 0));
  for (ScalarType t : {kShort, kChar}) {
    const Tensor r = randint(-5, 5, {200}, t);
    EXPECT_EQ(r.scalar_type(), t);
    EXPECT_GE(r.min().item<int64_t>(), -5);
    EXPECT_LT(r.max().item<int64_t>(), 5);
  }
}

TEST(NarrowDtypes, PrintsAsPython) {
  const Tensor ts[] = {tensor({1.5, 2.25, -3.1, 70000.0}, kHalf),
                       tensor({1e-8, 65504.0, 1.0 / 3}, kHalf),
                       tensor({1.0, 2.0}, kHalf),
                       tensor({{1, -5}, {100, 7}}, kChar),
                       tensor({-300, 2}, kShort),
                       scalar_tensor(0.5, kHalf),
                       tensor({1.0, 2.0}, kHalf).requires_grad_()};
  for (const Tensor& t : ts) {
    auto ref = oracle::run("out = repr(t)", {{"t", t}});
    std::ostringstream os;
    os << t;
    EXPECT_EQ(os.str(), ref.strings.at(0));
  }
}

TEST(NarrowDtypes, ItemAndDataPtr) {
  const Tensor a = tensor({-7, 100}, kChar), s = tensor({-300, 2}, kShort), h = tensor({0.5, -2.25}, kHalf);
  EXPECT_EQ(a.data_ptr<int8_t>()[0], -7);
  EXPECT_EQ(a[1].item<int8_t>(), 100);
  EXPECT_EQ(s.data_ptr<int16_t>()[0], -300);
  EXPECT_EQ(s[0].item<int64_t>(), -300);
  EXPECT_EQ(static_cast<float>(h.data_ptr<Half>()[1]), -2.25f);
  EXPECT_EQ(h[1].item<double>(), -2.25);
  EXPECT_TRUE(h[0].item().isFloatingPoint());
  EXPECT_EQ(error_message([&] { h.data_ptr<float>(); }), "expected scalar type Float but found Half");
}

// Each op on int8, int16 and float16 operands against PyTorch, in the narrow dtype throughout.
TEST(NarrowDtypes, ElementwiseAndReductions) {
  using Fn = std::function<Tensor(const Tensor&, const Tensor&)>;
  const std::vector<std::pair<std::string, Fn>> ops = {
      {"a + b", [](const Tensor& a, const Tensor& b) { return a + b; }},
      {"a - b * 3", [](const Tensor& a, const Tensor& b) { return a - b * 3; }},
      {"a * b", [](const Tensor& a, const Tensor& b) { return a * b; }},
      {"a * 1000", [](const Tensor& a, const Tensor&) { return a * 1000; }},
      {"a + 300", [](const Tensor& a, const Tensor&) { return a + 300; }},
      {"a / b", [](const Tensor& a, const Tensor& b) { return a / b; }},
      {"-a", [](const Tensor& a, const Tensor&) { return -a; }},
      {"a.abs()", [](const Tensor& a, const Tensor&) { return a.abs(); }},
      {"a < b", [](const Tensor& a, const Tensor& b) { return a < b; }},
      {"a == 2", [](const Tensor& a, const Tensor&) { return a == 2; }},
      {"a >= b[0]", [](const Tensor& a, const Tensor& b) { return a >= b[0]; }},
      {"torch.where(a > b, a, b)", [](const Tensor& a, const Tensor& b) { return where(a > b, a, b); }},
      {"a.masked_fill(a < 0, 9)", [](const Tensor& a, const Tensor&) { return a.masked_fill(a < 0, 9); }},
      {"torch.maximum(a, b)", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"a.sum()", [](const Tensor& a, const Tensor&) { return a.sum(); }},
      {"a.sum(0)", [](const Tensor& a, const Tensor&) { return a.sum(0); }},
      {"a.max()", [](const Tensor& a, const Tensor&) { return a.max(); }},
      {"a.min(1)[0]", [](const Tensor& a, const Tensor&) { return std::get<0>(a.min(1)); }},
      {"a.argmax()", [](const Tensor& a, const Tensor&) { return a.argmax(); }},
      {"a.t() * b.t()", [](const Tensor& a, const Tensor& b) { return a.t() * b.t(); }},
      {"a.reshape(-1)[1:5]", [](const Tensor& a, const Tensor&) { return a.reshape({-1}).slice(0, 1, 5); }},
      {"torch.cat([a, b])",
       [](const Tensor& a, const Tensor& b) {
         return cat({a, b});
       }},
      {"torch.stack([a, b], 1)",
       [](const Tensor& a, const Tensor& b) {
         return stack({a, b}, 1);
       }},
      {"a.index_select(1, torch.tensor([2, 0]))",
       [](const Tensor& a, const Tensor&) {
         return a.index_select(1, tensor({2, 0}, kLong));
       }},
      {"a[a > 0]", [](const Tensor& a, const Tensor&) { return a.index({a > 0}); }},
      {"a.flip(0)", [](const Tensor& a, const Tensor&) { return a.flip({0}); }},
  };
  for (ScalarType t : {kChar, kShort, kHalf}) {
    const Tensor a = nabla::testing::sample({3, 4}, t, 1) * 9, b = nabla::testing::sample_positive({3, 4}, t, 2);
    for (const auto& [expr, f] : ops) {
      const Tensor ref = oracle::eval(expr, {{"a", a}, {"b", b}});
      EXPECT_TRUE(same(f(a, b), ref, t == kHalf ? 1e-3 : 0, t == kHalf ? 1e-3 : 0)) << toString(t) << ": " << expr;
    }
  }
  // Ops PyTorch 1.13 refuses on float16 on CPU ("clamp_scalar_cpu" not implemented for 'Half'):
  // nabla computes them in float32 and rounds once, which is what the float32 op rounded gives.
  const std::vector<std::pair<std::string, Fn>> refused = {
      {"a.clamp(-2, 3)", [](const Tensor& a, const Tensor&) { return a.clamp(-2, 3); }},
      {"a.exp()", [](const Tensor& a, const Tensor&) { return a.exp(); }},
      {"a.sigmoid()", [](const Tensor& a, const Tensor&) { return a.sigmoid(); }},
      {"a.softmax(1)", [](const Tensor& a, const Tensor&) { return a.softmax(1); }},
      {"a @ b.t()", [](const Tensor& a, const Tensor& b) { return a.matmul(b.t()); }},
      {"a.cumsum(0)", [](const Tensor& a, const Tensor&) { return a.cumsum(0); }},
  };
  const Tensor ha = nabla::testing::sample({3, 4}, kHalf, 3), hb = nabla::testing::sample_positive({3, 4}, kHalf, 4);
  for (const auto& [expr, f] : refused) {
    const std::string err = oracle::error_of(expr, {{"a", ha}, {"b", hb}});
    EXPECT_NE(err.find("not implemented for 'Half'"), std::string::npos) << expr << ": " << err;
    const Tensor ref = oracle::eval(expr, {{"a", ha.to(kFloat)}, {"b", hb.to(kFloat)}}).to(kHalf);
    EXPECT_TRUE(same(f(ha, hb), ref, 0, 0)) << expr;
  }
  // Bitwise ops on the integer types; float16 mean.
  const Tensor i = tensor({-7, 100, 5}, kChar), j = tensor({3, -1, 12}, kShort);
  auto ref = oracle::run("out = (i & 6, i | j, i ^ j, ~i, ~j, h.mean(), h.mean(0))",
                         {{"i", i}, {"j", j}, {"h", tensor({{0.1, 2.5}, {-1.25, 3.0}}, kHalf)}});
  const Tensor h = tensor({{0.1, 2.5}, {-1.25, 3.0}}, kHalf);
  const Tensor got[] = {i & scalar_tensor(6, kLong), i | j, i ^ j, ~i, ~j, h.mean(), h.mean(0)};
  for (size_t k = 0; k < std::size(got); ++k) EXPECT_TRUE(same(got[k], ref.outputs.at(k), 1e-3, 1e-3)) << k;
}

TEST(NarrowDtypes, InPlaceAndIndexingWrites) {
  Tensor a = tensor({1, -5, 100}, kChar);
  a.add_(100);
  a.mul_(tensor({2, 2, 2}, kChar));
  a.index_put_({0}, 7);
  Tensor h = tensor({1.5, 2.0, -3.0}, kHalf);
  h.mul_(0.1);
  h.slice(0, 1, 3).fill_(0.3);
  auto ref = oracle::run(
      "a = torch.tensor([1, -5, 100], dtype=torch.int8); a.add_(100); a.mul_(torch.tensor([2, 2, 2], "
      "dtype=torch.int8)); a[0] = 7\nh = torch.tensor([1.5, 2.0, -3.0], dtype=torch.float16); h.mul_(0.1); "
      "h[1:3].fill_(0.3)\nout = (a, h)");
  EXPECT_TRUE(same(a, ref.outputs.at(0), 0, 0));
  EXPECT_TRUE(same(h, ref.outputs.at(1), 0, 0));
}

TEST(NarrowDtypes, HalfRequiresGrad) {
  const Tensor x = tensor({0.5, -1.25, 3.0}, kHalf).requires_grad_();
  const Tensor w = tensor({2.0, 0.5, -1.0}, kHalf);
  const Tensor y = (x * w + x * x).sum();
  y.backward();
  auto ref =
      oracle::run("y = (x * w + x * x).sum(); y.backward(); out = (y, x.grad, type(y.grad_fn).__name__, repr(x * w))",
                  {{"x", x}, {"w", w}});
  EXPECT_TRUE(same(y.detach(), ref.outputs.at(0), 0, 0));
  EXPECT_TRUE(same(x.grad(), ref.outputs.at(1), 0, 0));
  EXPECT_EQ(y.grad_fn()->name(), ref.strings.at(2));
  std::ostringstream os;
  os << x * w;
  EXPECT_EQ(os.str(), ref.strings.at(3));
}

TEST(NarrowDtypes, ErrorsAsTorch) {
  const Tensor i8 = tensor({1, 2}, kChar), h = tensor({1.0, 2.0}, kHalf);
  oracle::Inputs in = {{"i8", i8}, {"h", h}};
  EXPECT_EQ(error_message([&] {
              tensor({1, 2}, kChar).requires_grad_();
            }),
            oracle::error_of("i8.requires_grad_()", in));
  EXPECT_EQ(error_message([&] { h& h; }), oracle::error_of("h & h", in));
  EXPECT_EQ(error_message([&] { ~h; }), oracle::error_of("torch.bitwise_not(h)", in));
  EXPECT_EQ(error_message([&] { i8.mean(); }), oracle::error_of("i8.mean()", in));
  EXPECT_EQ(error_message([&] { i8.mean({0}); }), oracle::error_of("i8.mean(0)", in));
  EXPECT_EQ(error_message([&] { tensor({1, 2}, kChar).add_(2.5); }), oracle::error_of("i8.add_(2.5)", in));
  // Fill values must fit (arithmetic operands wrap instead: ElementwiseAndReductions).
  EXPECT_EQ(error_message([&] { full({2}, 300, kChar); }),
            oracle::error_of("torch.full((2,), 300, dtype=torch.int8)", in));
  EXPECT_EQ(error_message([&] { full({2}, -128.5 - 1, kChar); }),
            oracle::error_of("torch.full((2,), -129.5, dtype=torch.int8)", in));
  EXPECT_EQ(error_message([&] { full({2}, 1e6, kHalf); }),
            oracle::error_of("torch.full((2,), 1e6, dtype=torch.float16)", in));
  EXPECT_EQ(error_message([&] { zeros({2}, kShort).fill_(-40000); }),
            oracle::error_of("torch.zeros(2, dtype=torch.int16).fill_(-40000)", in));
  EXPECT_TRUE(same(full({2}, -INFINITY, kHalf), oracle::eval("torch.full((2,), -float('inf'), dtype=torch.float16)")));
  EXPECT_TRUE(same(full({2}, -128, kChar), oracle::eval("torch.full((2,), -128, dtype=torch.int8)")));
  EXPECT_EQ(error_message([&] { tensor({1, 2}, kShort).mul_(h); }), oracle::error_of("i8.to(torch.int16).mul_(h)", in));
}
