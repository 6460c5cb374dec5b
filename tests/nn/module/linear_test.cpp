// Linear, Bilinear, Identity, Flatten, Unflatten against torch.nn: default initialisation
// bit for bit, forward values and gradients with the same weights, grad_fn names, reprs,
// gradcheck/gradgradcheck, and error messages.
#include <sstream>
#include <string>
#include <vector>

#include <nabla/nn/modules/linear.h>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

std::string repr(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

std::string py_repr(const std::string& module_expr) {
  auto r = oracle::run("out = repr(" + module_expr + ")");
  EXPECT_TRUE(r.ok) << r.error;
  return r.ok ? r.strings.at(0) : "";
}

::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  return a.scalar_type() == kFloat ? same(a, e, 1e-5, 1e-5) : same(a, e, 1e-10, 1e-12);
}

Tensor dbl(IntArrayRef shape, int seed) { return sample(shape, kDouble, seed).requires_grad_(); }

}  // namespace

TEST(Linear, DefaultInitIsPyTorchsBitForBit) {
  for (auto [in, out, bias, seed] : std::vector<std::tuple<int64_t, int64_t, bool, uint64_t>>{
           {784, 256, true, 0}, {256, 128, true, 1}, {3, 5, false, 2}, {1, 1, true, 3}, {10, 7, true, 42}}) {
    manual_seed(seed);
    nn::Linear fc(nn::LinearOptions(in, out).bias(bias));
    auto ref = oracle::run("torch.manual_seed(" + std::to_string(seed) + ")\nm = torch.nn.Linear(" +
                           std::to_string(in) + ", " + std::to_string(out) + ", bias=" + (bias ? "True" : "False") +
                           ")\nout = (m.weight, m.bias)");
    ASSERT_TRUE(ref.ok) << ref.error;
    EXPECT_TRUE(fc->weight.equal(ref.outputs[0])) << in << "x" << out;
    EXPECT_EQ(fc->bias.defined(), bias);
    if (bias) {
      EXPECT_TRUE(fc->bias.equal(ref.outputs[1])) << in << "x" << out;
    }
  }
  // Two layers in a row keep drawing from the same stream, as in PyTorch.
  manual_seed(0);
  nn::Linear a(784, 256), b(256, 10);
  auto ref = oracle::run(
      "torch.manual_seed(0)\na = torch.nn.Linear(784, 256)\nb = torch.nn.Linear(256, 10)\nout = (b.weight, b.bias)");
  EXPECT_TRUE(b->weight.equal(ref.outputs.at(0)));
  EXPECT_TRUE(b->bias.equal(ref.outputs.at(1)));
}

TEST(Linear, ParametersAndRepr) {
  nn::Linear fc(4, 3);
  EXPECT_EQ(fc->weight.sizes(), IntArrayRef({3, 4}));
  EXPECT_EQ(fc->bias.sizes(), IntArrayRef({3}));
  EXPECT_TRUE(fc->weight.requires_grad());
  EXPECT_TRUE(fc->bias.requires_grad());
  EXPECT_EQ(fc->weight.scalar_type(), kFloat);
  auto named = fc->named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named.keys(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(repr(*fc), py_repr("torch.nn.Linear(4, 3)"));
  nn::Linear nobias(nn::LinearOptions(4, 3).bias(false));
  EXPECT_EQ(nobias->parameters().size(), 1u);
  EXPECT_EQ(repr(*nobias), py_repr("torch.nn.Linear(4, 3, bias=False)"));
  EXPECT_EQ(nobias->state_dict().keys(), std::vector<std::string>{"weight"});
}

TEST(Linear, ForwardAndBackwardMatchPyTorch) {
  // 1-D, 2-D, contiguous 3-D (flattened fast path), non-contiguous 3-D, 4-D; with and without bias.
  const std::vector<std::vector<int64_t>> shapes = {{4}, {5, 4}, {2, 3, 4}, {3, 2, 4, 1}, {2, 2, 3, 4}};
  for (ScalarType dt : {kFloat, kDouble})
    for (bool bias : {true, false})
      for (size_t s = 0; s < shapes.size(); ++s) {
        nn::Linear fc(nn::LinearOptions(4, 3).bias(bias));
        fc->to(dt);
        // The oracle receives contiguous tensors: a permuted input is built on both sides
        // from the same contiguous leaf xb.
        const bool permuted = shapes[s].back() == 1;
        Tensor xb = sample(permuted ? std::vector<int64_t>{3, 4, 2} : shapes[s], dt, int(s)).requires_grad_();
        Tensor x = permuted ? xb.permute({0, 2, 1}) : xb;
        Tensor y = fc(x);
        Tensor gy = sample(y.sizes(), dt, 100 + int(s));
        y.backward(gy);
        oracle::Inputs in = {{"xb", xb}, {"w", fc->weight}, {"gy", gy}};
        if (bias) in.push_back({"b", fc->bias});
        auto ref = oracle::run(
            std::string("m = torch.nn.Linear(4, 3, bias=") + (bias ? "True" : "False") + ").to(w.dtype)\n"
            "with torch.no_grad():\n    m.weight.copy_(w)\n" + (bias ? "    m.bias.copy_(b)\n" : "") +
            "x = xb.permute(0, 2, 1) if " + (permuted ? "True" : "False") + " else xb\n"
            "y = m(x)\ny.backward(gy)\nout = (y, xb.grad, m.weight.grad, m.bias.grad if m.bias is not None else None, "
            "y.grad_fn.name())",
            in);
        ASSERT_TRUE(ref.ok) << ref.error;
        EXPECT_TRUE(close(y, ref.outputs[0])) << dt << " " << s << " bias " << bias;
        EXPECT_TRUE(close(xb.grad(), ref.outputs[1])) << dt << " " << s;
        EXPECT_TRUE(close(fc->weight.grad(), ref.outputs[2])) << dt << " " << s;
        if (bias) {
          EXPECT_TRUE(close(fc->bias.grad(), ref.outputs[3])) << dt << " " << s;
        }
        EXPECT_EQ(y.grad_fn()->name(), ref.strings.at(4)) << dt << " " << s << " bias " << bias;
      }
}

TEST(Linear, WeightGradientIsContiguous) {
  // Note [Fused linear node]: the weight gradient arrives in the weight's own layout.
  nn::Linear fc(6, 5);
  fc(sample({7, 6})).sum().backward();
  EXPECT_TRUE(fc->weight.grad().is_contiguous());
  EXPECT_EQ(fc->weight.grad().sizes(), fc->weight.sizes());
}

TEST(Linear, FunctionalGradcheck) {
  namespace F = nn::functional;
  using autograd::variable_list;
  auto with_bias = [](const variable_list& v) { return F::linear(v[0], v[1], v[2]); };
  auto no_bias = [](const variable_list& v) { return F::linear(v[0], v[1]); };
  for (auto shape : std::vector<std::vector<int64_t>>{{4}, {3, 4}, {2, 3, 4}, {2, 1, 2, 4}}) {
    variable_list in = {dbl(shape, 1), dbl({2, 4}, 2), dbl({2}, 3)};
    EXPECT_TRUE(autograd::gradcheck(with_bias, in));
    EXPECT_TRUE(autograd::gradgradcheck(with_bias, in));
    EXPECT_TRUE(autograd::gradcheck(no_bias, {in[0], in[1]}));
    EXPECT_TRUE(autograd::gradgradcheck(no_bias, {in[0], in[1]}));
  }
  // Non-contiguous input and weight, a bias of one element broadcast to every output.
  variable_list nc = {dbl({4, 3}, 4).t(), dbl({4, 2}, 5).t(), dbl({1}, 6)};
  EXPECT_TRUE(autograd::gradcheck(with_bias, nc));
  EXPECT_TRUE(autograd::gradgradcheck(with_bias, nc));
  // A 2-D bias broadcast over the rows of the output.
  variable_list bias2d = {dbl({3, 4}, 7), dbl({2, 4}, 8), dbl({3, 2}, 9)};
  EXPECT_TRUE(autograd::gradcheck(with_bias, bias2d));
}

TEST(Linear, Errors) {
  namespace F = nn::functional;
  Tensor w = sample({3, 4}), b = sample({3});
  oracle::Inputs in = {{"w", w}, {"b", b}};
  auto check = [&](const std::function<void()>& f, const std::string& py) {
    EXPECT_EQ(error_message(f), oracle::error_of(py, in)) << py;
  };
  check([&] { F::linear(sample({2, 5}), w, b); }, "torch.nn.functional.linear(torch.randn(2, 5), w, b)");
  check([&] { F::linear(sample({2, 5}), w); }, "torch.nn.functional.linear(torch.randn(2, 5), w)");
  check([&] { F::linear(sample({5}), w, b); }, "torch.nn.functional.linear(torch.randn(5), w, b)");
  check([&] { F::linear(sample({7, 2, 5}), w, b); }, "torch.nn.functional.linear(torch.randn(7, 2, 5), w, b)");
  check([&] { F::linear(sample({2, 4}, kDouble), w, b); },
        "torch.nn.functional.linear(torch.randn(2, 4).double(), w, b)");
  check([&] { F::linear(sample({2, 4}), w, b.to(kDouble)); },
        "torch.nn.functional.linear(torch.randn(2, 4), w, b.double())");
  check([&] { F::linear(sample({2, 4}), w, sample({4})); },
        "torch.nn.functional.linear(torch.randn(2, 4), w, torch.randn(4))");
  check([&] { F::linear(sample({2, 4}), sample({3, 4, 1}), b); },
        "torch.nn.functional.linear(torch.randn(2, 4), torch.randn(3, 4, 1), b)");
  check([&] { F::linear(sample({}), w, b); }, "torch.nn.functional.linear(torch.tensor(1.), w, b)");
}

TEST(Bilinear, DefaultInitReprAndParameters) {
  manual_seed(3);
  nn::Bilinear bl(2, 3, 4);
  auto ref = oracle::run("torch.manual_seed(3)\nm = torch.nn.Bilinear(2, 3, 4)\nout = (m.weight, m.bias)");
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_TRUE(bl->weight.equal(ref.outputs[0]));
  EXPECT_TRUE(bl->bias.equal(ref.outputs[1]));
  EXPECT_EQ(repr(*bl), py_repr("torch.nn.Bilinear(2, 3, 4)"));
  nn::Bilinear nb(nn::BilinearOptions(2, 3, 4).bias(false));
  EXPECT_EQ(repr(*nb), py_repr("torch.nn.Bilinear(2, 3, 4, bias=False)"));
  EXPECT_EQ(nb->parameters().size(), 1u);
}

TEST(Bilinear, ForwardAndBackwardMatchPyTorch) {
  for (ScalarType dt : {kFloat, kDouble})
    for (auto batch : std::vector<std::vector<int64_t>>{{5}, {2, 3}, {}})
      for (bool bias : {true, false}) {
        nn::Bilinear bl(nn::BilinearOptions(2, 3, 4).bias(bias));
        bl->to(dt);
        std::vector<int64_t> s1 = batch, s2 = batch;
        s1.push_back(2);
        s2.push_back(3);
        Tensor x1 = sample(s1, dt, 1).requires_grad_(), x2 = sample(s2, dt, 2).requires_grad_();
        Tensor y = bl(x1, x2);
        Tensor gy = sample(y.sizes(), dt, 3);
        y.backward(gy);
        oracle::Inputs in = {{"x1", x1}, {"x2", x2}, {"w", bl->weight}, {"gy", gy}};
        if (bias) in.push_back({"b", bl->bias});
        auto ref = oracle::run(std::string("m = torch.nn.Bilinear(2, 3, 4, bias=") + (bias ? "True" : "False") +
                                   ").to(w.dtype)\nwith torch.no_grad():\n    m.weight.copy_(w)\n" +
                                   (bias ? "    m.bias.copy_(b)\n" : "") +
                                   "y = m(x1, x2)\ny.backward(gy)\nout = (y, x1.grad, x2.grad, m.weight.grad, "
                                   "m.bias.grad if m.bias is not None else None)",
                               in);
        ASSERT_TRUE(ref.ok) << ref.error;
        EXPECT_TRUE(close(y, ref.outputs[0])) << dt;
        EXPECT_TRUE(close(x1.grad(), ref.outputs[1])) << dt;
        EXPECT_TRUE(close(x2.grad(), ref.outputs[2])) << dt;
        EXPECT_TRUE(close(bl->weight.grad(), ref.outputs[3])) << dt;
        if (bias) {
          EXPECT_TRUE(close(bl->bias.grad(), ref.outputs[4])) << dt;
        }
      }
}

TEST(Bilinear, GradcheckAndErrors) {
  namespace F = nn::functional;
  using autograd::variable_list;
  auto fn = [](const variable_list& v) { return F::bilinear(v[0], v[1], v[2], v[3]); };
  variable_list in = {dbl({3, 2}, 1), dbl({3, 3}, 2), dbl({4, 2, 3}, 3), dbl({4}, 4)};
  EXPECT_TRUE(autograd::gradcheck(fn, in));
  EXPECT_TRUE(autograd::gradgradcheck(fn, in));
  variable_list nc = {dbl({2, 3}, 5).t(), dbl({3, 3}, 6).t(), dbl({4, 3, 2}, 7).transpose(1, 2), dbl({4}, 8)};
  EXPECT_TRUE(autograd::gradcheck(fn, nc));
  EXPECT_TRUE(autograd::gradgradcheck(fn, nc));

  Tensor w = sample({3, 4, 5});
  auto check = [&](const std::function<void()>& f, const std::string& py) {
    EXPECT_EQ(error_message(f), oracle::error_of(py, {{"w", w}})) << py;
  };
  check([&] { F::bilinear(sample({2, 4}), sample({2, 3, 5}), w); },
        "torch.nn.functional.bilinear(torch.randn(2, 4), torch.randn(2, 3, 5), w)");
  check([&] { F::bilinear(sample({2, 4}), sample({3, 5}), w); },
        "torch.nn.functional.bilinear(torch.randn(2, 4), torch.randn(3, 5), w)");
  check([&] { F::bilinear(sample({2, 3}), sample({2, 5}), w); },
        "torch.nn.functional.bilinear(torch.randn(2, 3), torch.randn(2, 5), w)");
  check([&] { F::bilinear(sample({2, 4}), sample({2, 6}), w); },
        "torch.nn.functional.bilinear(torch.randn(2, 4), torch.randn(2, 6), w)");
  check([&] { F::bilinear(sample({2, 4}), sample({2, 5}), w, sample({4})); },
        "torch.nn.functional.bilinear(torch.randn(2, 4), torch.randn(2, 5), w, torch.randn(4))");
}

TEST(Identity, FlattenUnflatten) {
  nn::Identity id;
  Tensor x = sample({2, 3, 4, 5}).requires_grad_();
  EXPECT_TRUE(id(x).is_same(x));
  EXPECT_EQ(repr(*id), py_repr("torch.nn.Identity()"));

  for (auto [s, e] : std::vector<std::pair<int64_t, int64_t>>{{1, -1}, {0, 2}, {2, 3}, {-3, -2}}) {
    nn::Flatten fl(nn::FlattenOptions().start_dim(s).end_dim(e));
    const std::string py = "torch.nn.Flatten(" + std::to_string(s) + ", " + std::to_string(e) + ")";
    Tensor y = fl(x);
    EXPECT_SAME(y, oracle::eval(py + "(x)", {{"x", x}}));
    EXPECT_EQ(repr(*fl), py_repr(py));
  }
  nn::Flatten def;
  EXPECT_EQ(def(x).sizes(), IntArrayRef({2, 60}));
  EXPECT_EQ(repr(*def), py_repr("torch.nn.Flatten()"));
  EXPECT_EQ(error_message([&] { nn::Flatten(nn::FlattenOptions().start_dim(3))(sample({2, 5})); }),
            oracle::error_of("torch.nn.Flatten(3)(torch.randn(2, 5))"));

  nn::Unflatten un(nn::UnflattenOptions(1, {3, 4}));
  Tensor z = sample({2, 12, 5}).requires_grad_();
  Tensor u = un(z);
  EXPECT_SAME(u, oracle::eval("torch.nn.Unflatten(1, (3, 4))(z)", {{"z", z}}));
  u.sum().backward();
  EXPECT_TRUE(z.grad().defined());
  EXPECT_EQ(repr(*un), py_repr("torch.nn.Unflatten(1, (3, 4))"));
  EXPECT_EQ(repr(*nn::Unflatten(nn::UnflattenOptions(-1, {5}))), py_repr("torch.nn.Unflatten(-1, (5,))"));
  EXPECT_EQ(error_message([&] { nn::Unflatten(nn::UnflattenOptions(1, {2, 3}))(sample({2, 5})); }),
            oracle::error_of("torch.nn.Unflatten(1, (2, 3))(torch.randn(2, 5))"));
}
