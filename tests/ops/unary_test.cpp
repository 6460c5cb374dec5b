// Unary elementwise ops and pow against PyTorch: values and dtypes for every dtype, error
// messages, non-contiguous / 0-dim / empty inputs, in-place and out= forms, gradients.
#include "ops/elementwise_parity.h"

using namespace nabla;
using nabla::testing::parity;
using nabla::testing::sample;
using nabla::testing::sample_positive;

namespace {

struct UnaryOp {
  std::string name;
  Tensor (*fn)(const Tensor&);
  Tensor& (Tensor::*inplace)() const;
  bool positive;  // domain needs positive inputs (sqrt, log, ...)
};

const std::vector<UnaryOp>& unary_ops() {
  static const std::vector<UnaryOp> ops{
      {"abs", nabla::abs, &Tensor::abs_, false},       {"neg", nabla::neg, &Tensor::neg_, false},
      {"sqrt", nabla::sqrt, &Tensor::sqrt_, true},     {"rsqrt", nabla::rsqrt, &Tensor::rsqrt_, true},
      {"exp", nabla::exp, &Tensor::exp_, false},       {"log", nabla::log, &Tensor::log_, true},
      {"log1p", nabla::log1p, &Tensor::log1p_, true},  {"expm1", nabla::expm1, &Tensor::expm1_, false},
      {"sin", nabla::sin, &Tensor::sin_, false},       {"cos", nabla::cos, &Tensor::cos_, false},
      {"tanh", nabla::tanh, &Tensor::tanh_, false},    {"sigmoid", nabla::sigmoid, &Tensor::sigmoid_, false},
      {"relu", nabla::relu, &Tensor::relu_, false},    {"sign", nabla::sign, &Tensor::sign_, false},
      {"floor", nabla::floor, &Tensor::floor_, false}, {"ceil", nabla::ceil, &Tensor::ceil_, false},
      {"round", nabla::round, &Tensor::round_, false},
  };
  return ops;
}

Tensor input_for(const UnaryOp& op, IntArrayRef shape, ScalarType dt, int seed) {
  return op.positive ? sample_positive(shape, dt, seed) : sample(shape, dt, seed) * (dt == kFloat || dt == kDouble ? 3 : 1);
}

}  // namespace

TEST(Unary, EveryDtypeMatchesTorch) {
  for (const auto& op : unary_ops())
    for (ScalarType dt : nabla::testing::all_dtypes()) {
      Tensor x = input_for(op, {3, 5}, dt, 1);
      EXPECT_TRUE(parity([&] { return op.fn(x); }, "torch." + op.name + "(x)", {{"x", x}})) << op.name << " " << dt;
    }
}

TEST(Unary, NonContiguousZeroDimAndEmpty) {
  for (const auto& op : unary_ops())
    for (ScalarType dt : {kFloat, kDouble, kLong}) {
      Tensor x = input_for(op, {4, 7}, dt, 2);
      EXPECT_TRUE(parity([&] { return op.fn(x.t()); }, "torch." + op.name + "(x.t())", {{"x", x}})) << op.name;
      EXPECT_TRUE(parity([&] { return op.fn(x.slice(1, 1, 7, 2)); }, "torch." + op.name + "(x[:, 1::2])", {{"x", x}}))
          << op.name;
      Tensor s = input_for(op, {}, dt, 3);
      EXPECT_TRUE(parity([&] { return op.fn(s); }, "torch." + op.name + "(s)", {{"s", s}})) << op.name;
      Tensor e = empty({0, 3}, dt);
      EXPECT_TRUE(parity([&] { return op.fn(e); }, "torch." + op.name + "(e)", {{"e", e}})) << op.name;
    }
}

// Large inputs take the multi-threaded, vectorised paths (and the tails of the vector runs).
TEST(Unary, LargeContiguousAndStridedMatchTorch) {
  for (const auto& op : unary_ops())
    for (ScalarType dt : {kFloat, kDouble}) {
      Tensor x = input_for(op, {301, 233}, dt, 4);
      EXPECT_TRUE(parity([&] { return op.fn(x); }, "torch." + op.name + "(x)", {{"x", x}})) << op.name;
      EXPECT_TRUE(parity([&] { return op.fn(x.t()); }, "torch." + op.name + "(x.t())", {{"x", x}})) << op.name;
    }
}

TEST(Unary, SpecialValues) {
  Tensor special = tensor({0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -2.5, 1e30, -1e30, 89.0, -104.0, 1e-8, -1e-8, 700.0,
                           -750.0, static_cast<double>(INFINITY), -static_cast<double>(INFINITY),
                           static_cast<double>(NAN)},
                          kDouble);
  for (const auto& op : unary_ops())
    for (ScalarType dt : {kFloat, kDouble}) {
      Tensor v = special.to(dt);
      EXPECT_TRUE(parity([&] { return op.fn(v); }, "torch." + op.name + "(v)", {{"v", v}})) << op.name;
    }
}

TEST(Unary, InPlaceMatchesTorch) {
  for (const auto& op : unary_ops())
    for (ScalarType dt : nabla::testing::all_dtypes()) {
      Tensor x = input_for(op, {2, 3}, dt, 5);
      EXPECT_TRUE(parity(
          [&] {
            Tensor y = x.clone();
            uint32_t v = y._version();
            Tensor& r = (y.*op.inplace)();
            EXPECT_TRUE(r.is_same(y));
            EXPECT_GT(y._version(), v);
            return y;
          },
          "x.clone()." + op.name + "_()", {{"x", x}}))
          << op.name << " " << dt;
    }
}

TEST(Unary, OutFormsMatchTorch) {
  using OutFn = Tensor& (*)(Tensor&, const Tensor&);
  const std::vector<std::pair<std::string, OutFn>> outs{
      {"neg", neg_out}, {"abs", abs_out}, {"sqrt", sqrt_out}, {"exp", exp_out},         {"log", log_out},
      {"sin", sin_out}, {"cos", cos_out}, {"tanh", tanh_out}, {"sigmoid", sigmoid_out},
  };
  for (const auto& [name, fn] : outs)
    for (ScalarType in_dt : {kFloat, kLong})
      for (ScalarType out_dt : {kFloat, kDouble, kLong}) {
        Tensor x = sample_positive({2, 3}, in_dt, 6);
        Tensor o = zeros({6}, out_dt);  // wrong shape: resized (PyTorch warns)
        EXPECT_TRUE(parity(
            [&, &fn = fn] {
              Tensor& r = fn(o, x);
              EXPECT_TRUE(r.is_same(o));
              return o;
            },
            "torch." + name + "(x, out=o)", {{"x", x}, {"o", o}}))
            << name << " " << in_dt << " -> " << out_dt;
      }
  Tensor x = sample({3}, kDouble, 7).requires_grad_();
  Tensor o = empty({3}, kDouble);
  EXPECT_EQ(nabla::testing::error_message([&] { exp_out(o, x); }),
            oracle::error_of("torch.exp(x, out=o)", {{"x", x}, {"o", o}}));
}

TEST(Unary, GradFnNamesMatchTorch) {
  for (const auto& op : unary_ops()) {
    Tensor x = input_for(op, {3}, kDouble, 8).requires_grad_();
    EXPECT_EQ(op.fn(x).grad_fn()->name(), nabla::testing::torch_grad_fn("torch." + op.name + "(x)", {{"x", x}}));
    Tensor y = x * 1;
    (y.*op.inplace)();
    EXPECT_EQ(y.grad_fn()->name(),
              nabla::testing::torch_grad_fn("(x * 1)." + op.name + "_()", {{"x", x}}));
  }
}

TEST(Unary, GradientsMatchTorch) {
  for (const auto& op : unary_ops()) {
    Tensor x = input_for(op, {3, 4}, kDouble, 9).requires_grad_();
    EXPECT_TRUE(nabla::testing::grad_parity([&](const std::vector<Tensor>& in) { return op.fn(in[0].t()); },
                                            "torch." + op.name + "(x.t())", {{"x", x}}))
        << op.name;
  }
}

TEST(Unary, GradcheckAndGradgradcheck) {
  for (const auto& op : unary_ops()) {
    SCOPED_TRACE(op.name);
    Tensor x = input_for(op, {3, 4}, kDouble, 10).requires_grad_();
    // The x² term keeps the first derivative differentiable for the piecewise-constant ops
    // (whose own gradient is a constant zero).
    auto fn = [&](const autograd::variable_list& in) {
      return autograd::variable_list{op.fn(in[0].t()) + in[0].t() * in[0].t()};
    };
    EXPECT_TRUE(autograd::gradcheck(fn, {x})) << op.name;
    EXPECT_TRUE(autograd::gradgradcheck(fn, {x})) << op.name;
  }
}

TEST(Unary, InPlaceGradients) {
  for (const auto& op : unary_ops()) {
    SCOPED_TRACE(op.name);
    Tensor x = input_for(op, {2, 3}, kDouble, 11).requires_grad_();
    auto fn = [&](const autograd::variable_list& in) {
      Tensor y = in[0] * 2;
      (y.*op.inplace)();
      return autograd::variable_list{y + in[0] * in[0]};
    };
    EXPECT_TRUE(autograd::gradcheck(fn, {x}));
    // Second order only for the ops that do not save their overwritten input: the in-place
    // machinery saves a copy of it without history (see Ctx::prepare).
    const bool saves_input = op.name == "abs" || op.name == "log" || op.name == "log1p" || op.name == "sin" ||
                             op.name == "cos";
    if (!saves_input) {
      EXPECT_TRUE(autograd::gradgradcheck(fn, {x}));
    }
    EXPECT_TRUE(nabla::testing::grad_parity(
        [&](const std::vector<Tensor>& in) {
          Tensor y = in[0] * 2;
          return (y.*op.inplace)() * 1;
        },
        "(x * 2)." + op.name + "_() * 1", {{"x", x}}));
  }
}

// ---- pow ------------------------------------------------------------------------------------

TEST(Pow, TensorScalarEveryDtype) {
  const std::vector<std::pair<Scalar, std::string>> exps{{2, "2"},      {3, "3"},      {0, "0"},     {-1, "-1"},
                                                         {2.5, "2.5"},  {0.5, "0.5"},  {-0.5, "-0.5"}, {-2, "-2"},
                                                         {-1.0, "-1.0"}, {true, "True"}, {1.7, "1.7"}};
  for (ScalarType dt : nabla::testing::all_dtypes())
    for (const auto& [e, es] : exps) {
      Tensor x = sample_positive({3, 4}, dt, 12);
      EXPECT_TRUE(parity([&, &e = e] { return x.pow(e); }, "x.pow(" + es + ")", {{"x", x}})) << dt << " ** " << es;
      EXPECT_TRUE(parity([&, &e = e] { return x.t().pow(e); }, "x.t().pow(" + es + ")", {{"x", x}})) << dt << " ** " << es;
      EXPECT_TRUE(parity([&, &e = e] { return x.clone().pow_(e); }, "x.clone().pow_(" + es + ")", {{"x", x}}))
          << dt << " **= " << es;
    }
}

TEST(Pow, TensorTensorAndScalarBase) {
  for (ScalarType da : nabla::testing::all_dtypes())
    for (ScalarType db : nabla::testing::all_dtypes()) {
      Tensor a = sample({2, 1, 3}, da, 13);
      Tensor b = sample({4, 1}, db, 14);
      EXPECT_TRUE(parity([&] { return a.pow(b); }, "a.pow(b)", {{"a", a}, {"b", b}})) << da << " " << db;
      Tensor o = empty({0}, da);
      EXPECT_TRUE(parity([&] { return pow_out(o, a, b); }, "torch.pow(a, b, out=o)", {{"a", a}, {"b", b}, {"o", o}}))
          << da << " " << db;
      Tensor c = sample({2, 4, 3}, da, 15);
      EXPECT_TRUE(parity([&] { return c.pow_(b.t().unsqueeze(0)); }, "c.clone().pow_(b.t().unsqueeze(0))",
                         {{"c", c.clone()}, {"b", b}}))
          << da << " " << db;
    }
  for (ScalarType dt : nabla::testing::all_dtypes()) {
    Tensor e = sample({5}, dt, 16);
    EXPECT_TRUE(parity([&] { return pow(2, e); }, "torch.pow(2, e)", {{"e", e}})) << dt;
    EXPECT_TRUE(parity([&] { return pow(1.5, e); }, "torch.pow(1.5, e)", {{"e", e}})) << dt;
    EXPECT_TRUE(parity([&] { return pow(0, e); }, "torch.pow(0, e)", {{"e", e}})) << dt;
  }
  // Integer overflow wraps; negative integer exponents as PyTorch.
  Tensor big = tensor({3, -3, 7, 1, -1, 2, 0}, kLong);
  Tensor ex = tensor({40, 41, 30, -5, -3, -1, -2}, kLong);
  EXPECT_TRUE(parity([&] { return big.pow(ex); }, "a.pow(b)", {{"a", big}, {"b", ex}}));
  EXPECT_TRUE(parity([&] { return big.to(kInt).pow(ex.to(kInt)); }, "a.int().pow(b.int())", {{"a", big}, {"b", ex}}));
  EXPECT_TRUE(parity([&] { return big.to(kByte).pow(5); }, "a.to(torch.uint8).pow(5)", {{"a", big}}));
}

TEST(Pow, GradientsAndNames) {
  Tensor a = sample_positive({2, 3}, kDouble, 17).requires_grad_();
  Tensor b = sample({3, 1}, kDouble, 18).requires_grad_();
  EXPECT_EQ(a.pow(2).grad_fn()->name(), nabla::testing::torch_grad_fn("a.pow(2)", {{"a", a}}));
  EXPECT_EQ(a.pow(b.t()).grad_fn()->name(), nabla::testing::torch_grad_fn("a.pow(b.t())", {{"a", a}, {"b", b}}));
  EXPECT_EQ(pow(2.0, a).grad_fn()->name(), nabla::testing::torch_grad_fn("torch.pow(2.0, a)", {{"a", a}}));
  for (Scalar e : {Scalar(2), Scalar(0), Scalar(-1.5), Scalar(0.5), Scalar(3)}) {
    SCOPED_TRACE(e.toDouble());
    // The x² term keeps the first derivative differentiable for e = 0 (gradient: constant zero).
    auto fn = [e](const autograd::variable_list& in) {
      return autograd::variable_list{in[0].t().pow(e) + in[0].t() * in[0].t()};
    };
    EXPECT_TRUE(autograd::gradcheck(fn, {a}));
    EXPECT_TRUE(autograd::gradgradcheck(fn, {a}));
  }
  auto tt = [](const autograd::variable_list& in) { return autograd::variable_list{in[0].pow(in[1].t())}; };
  EXPECT_TRUE(autograd::gradcheck(tt, {a, b}));
  EXPECT_TRUE(autograd::gradgradcheck(tt, {a, b}));
  auto sb = [](const autograd::variable_list& in) { return autograd::variable_list{pow(1.7, in[0].t())}; };
  EXPECT_TRUE(autograd::gradcheck(sb, {b}));
  EXPECT_TRUE(autograd::gradgradcheck(sb, {b}));

  // Gradients against PyTorch, including the zero-base and zero-exponent special cases.
  Tensor base = tensor({0.0, 0.0, 1.5, 2.0, 0.7}, kDouble).requires_grad_();
  Tensor ex = tensor({2.0, 0.0, 0.0, -1.0, 1.3}, kDouble).requires_grad_();
  EXPECT_TRUE(nabla::testing::grad_parity([](const std::vector<Tensor>& in) { return in[0].pow(in[1]); }, "a.pow(b)",
                                          {{"a", base}, {"b", ex}}));
  Tensor e2 = tensor({2.0, 0.0, -1.0, 1.3}, kDouble).requires_grad_();
  EXPECT_TRUE(nabla::testing::grad_parity([](const std::vector<Tensor>& in) { return pow(0, in[0]); },
                                          "torch.pow(0, e)", {{"e", e2}}));
  Tensor e3 = tensor({2.0, 0.0, -1.0, 1.3}, kDouble).requires_grad_();
  EXPECT_TRUE(nabla::testing::grad_parity([](const std::vector<Tensor>& in) { return pow(2.5, in[0]); },
                                          "torch.pow(2.5, e)", {{"e", e3}}));
  Tensor x = tensor({0.0, 1.5, -2.0}, kDouble).requires_grad_();
  EXPECT_TRUE(nabla::testing::grad_parity([](const std::vector<Tensor>& in) { return in[0].pow(0) + in[0].pow(3); },
                                          "x.pow(0) + x.pow(3)", {{"x", x}}));
}

TEST(Unary, ReluGradientPassesAtNaNAsTorch) {
  auto x = nabla::tensor({NAN, -1.0f, 0.0f, 2.0f}).requires_grad_();
  nabla::relu(x).sum().backward();
  auto ref = oracle::run("x = a.clone().requires_grad_(); torch.relu(x).sum().backward(); out = x.grad",
                         {{"a", x.detach()}});
  EXPECT_SAME(x.grad(), ref.tensor());
}
