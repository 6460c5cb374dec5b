// layer_norm / group_norm and the LayerNorm / GroupNorm modules against PyTorch: values and
// gradients, float32/float64, non-contiguous inputs, gradcheck and gradgradcheck, default
// initialisation, reprs and error messages.
#include <nabla/nn/functional/normalization.h>
#include <nabla/nn/modules/normalization.h>

#include "nn/norm/norm_testing.h"

using namespace nabla;
using nabla::autograd::variable_list;
using nabla::norm_testing::close;
using nabla::norm_testing::py_shape;
using nabla::norm_testing::repr;
using nabla::norm_testing::swapped_leaf;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {

// Forward and backward of sum(y * gy) for `call` (Python expression of x[, w, b]) in both.
template <typename F>
void check_against_torch(const std::string& call, const Tensor& x, const Tensor& w, const Tensor& b, F fn) {
  SCOPED_TRACE(call + " x=" + py_shape(x.sizes()));
  Tensor gy = sample(x.sizes(), x.scalar_type(), 9);
  Tensor y = fn();
  (y * gy).sum().backward();
  oracle::Inputs in = {{"x", x}, {"gy", gy}};
  if (w.defined()) in.push_back({"w", w});
  if (b.defined()) in.push_back({"b", b});
  auto ref = oracle::run("y = " + call + "\n(y * gy).sum().backward()\nout = (y, x.grad" +
                             (w.defined() ? ", w.grad" : "") + (b.defined() ? ", b.grad" : "") + ")",
                         in);
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_TRUE(close(y, ref.tensor(0)));
  EXPECT_TRUE(close(x.grad(), ref.tensor(1)));
  if (w.defined()) {
    EXPECT_TRUE(close(w.grad(), ref.tensor(2)));
  }
  if (b.defined()) {
    EXPECT_TRUE(close(b.grad(), ref.tensor(w.defined() ? 3 : 2)));
  }
}

}  // namespace

TEST(LayerNorm, FunctionalMatchesTorch) {
  struct Case {
    std::vector<int64_t> x, norm;
    bool affine, strided;
  };
  const std::vector<Case> cases = {
      {{4, 5}, {5}, true, false},   {{3, 4, 6}, {4, 6}, true, false}, {{2, 3, 4}, {4}, false, false},
      {{5, 3, 4}, {4}, true, true}, {{6}, {6}, true, false},          {{3, 2, 70}, {2, 70}, true, true},
  };
  for (ScalarType dt : {kFloat, kDouble}) {
    for (const Case& c : cases) {
      Tensor x = c.strided ? swapped_leaf(c.x, dt, 1) : sample(c.x, dt, 1).requires_grad_(true);
      Tensor w = c.affine ? sample(c.norm, dt, 2).requires_grad_(true) : Tensor();
      Tensor b = c.affine ? sample(c.norm, dt, 3).requires_grad_(true) : Tensor();
      std::string call =
          "torch.nn.functional.layer_norm(x, " + py_shape(c.norm) + (c.affine ? ", w, b" : "") + ", eps=1e-3)";
      check_against_torch(call, x, w, b, [&] {
        namespace F = nn::functional;
        return F::layer_norm(x, F::LayerNormFuncOptions(c.norm).weight(w).bias(b).eps(1e-3));
      });
    }
  }
}

TEST(LayerNorm, GradFnGradcheckAndDoubleBackward) {
  Tensor x = sample({3, 2, 4}, kDouble, 1).requires_grad_(true);
  Tensor xs = swapped_leaf({2, 3, 4}, kDouble, 2);
  Tensor w = sample({4}, kDouble, 3).requires_grad_(true), b = sample({4}, kDouble, 4).requires_grad_(true);
  Tensor w2 = sample({2, 4}, kDouble, 5).requires_grad_(true);
  EXPECT_EQ(layer_norm(x, {4}, w, b).grad_fn()->name(), "NativeLayerNormBackward0");
  auto f1 = [](const variable_list& in) { return layer_norm(in[0], {4}, in[1], in[2]); };
  auto f2 = [](const variable_list& in) { return layer_norm(in[0], {2, 4}, in[1]); };
  auto f3 = [](const variable_list& in) { return layer_norm(in[0], {4}); };
  EXPECT_TRUE(autograd::gradcheck(f1, {x, w, b}));
  EXPECT_TRUE(autograd::gradgradcheck(f1, {x, w, b}));
  EXPECT_TRUE(autograd::gradcheck(f1, {xs, w, b}));
  EXPECT_TRUE(autograd::gradgradcheck(f1, {xs, w, b}));
  EXPECT_TRUE(autograd::gradcheck(f2, {x, w2}));
  EXPECT_TRUE(autograd::gradgradcheck(f2, {x, w2}));
  EXPECT_TRUE(autograd::gradgradcheck(f3, {x}));
  Tensor y = layer_norm(x, {4}, w, b);
  auto gx = autograd::grad({(y * y * y).sum()}, {x}, {}, std::nullopt, true)[0];
  (gx * gx).sum().backward();
  auto ref = oracle::run(
      "y = torch.nn.functional.layer_norm(x, (4,), w, b)\n"
      "gx, = torch.autograd.grad((y * y * y).sum(), x, create_graph=True)\n(gx * gx).sum().backward()\n"
      "out = (gx, x.grad, w.grad, b.grad)",
      {{"x", x}, {"w", w}, {"b", b}});
  EXPECT_TRUE(close(gx, ref.tensor(0)));
  EXPECT_TRUE(close(x.grad(), ref.tensor(1)));
  EXPECT_TRUE(close(w.grad(), ref.tensor(2)));
  EXPECT_TRUE(close(b.grad(), ref.tensor(3)));
}

TEST(LayerNorm, ModuleDefaultsForwardAndRepr) {
  nn::LayerNorm ln(nn::LayerNormOptions({5, 4}));
  EXPECT_SAME(ln->weight, ones({5, 4}));
  EXPECT_SAME(ln->bias, zeros({5, 4}));
  Tensor x = sample({3, 5, 4}, kFloat, 1);
  EXPECT_TRUE(close(ln(x), oracle::eval("torch.nn.LayerNorm([5, 4])(x)", {{"x", x}})));
  EXPECT_EQ(repr(ln), oracle::run("out = repr(torch.nn.LayerNorm([5, 4]))").strings[0]);
  nn::LayerNorm l2(nn::LayerNormOptions({5}).eps(1e-6).elementwise_affine(false));
  EXPECT_TRUE(l2->parameters().empty());
  EXPECT_EQ(repr(l2), oracle::run("out = repr(torch.nn.LayerNorm(5, eps=1e-6, elementwise_affine=False))").strings[0]);
  nn::LayerNorm l3(std::vector<int64_t>{7});
  EXPECT_EQ(l3->named_parameters().keys(), (std::vector<std::string>{"weight", "bias"}));
}

TEST(LayerNorm, Errors) {
  Tensor x = sample({2, 3, 4}), w4 = ones({4}), xl = ones({2, 3}, TensorOptions(kLong));
  Tensor wd = ones({4}, TensorOptions(kDouble));
  oracle::Inputs in = {{"x", x}, {"w4", w4}, {"xl", xl}, {"wd", wd}};
  auto check = [&](const std::string& code, auto fn) { EXPECT_EQ(error_message(fn), oracle::error_of(code, in)); };
  check("torch.nn.functional.layer_norm(x, [5])", [&] { layer_norm(x, {5}); });
  check("torch.nn.functional.layer_norm(x, [2, 3, 4, 5])", [&] { layer_norm(x, {2, 3, 4, 5}); });
  check("torch.nn.functional.layer_norm(x, [])", [&] { layer_norm(x, std::vector<int64_t>{}); });
  check("torch.nn.functional.layer_norm(x, [3, 4], weight=w4)", [&] { layer_norm(x, {3, 4}, w4); });
  check("torch.nn.functional.layer_norm(x, [3, 4], bias=w4)", [&] { layer_norm(x, {3, 4}, Tensor(), w4); });
  check("torch.nn.functional.layer_norm(xl, [3])", [&] { layer_norm(xl, {3}); });
  check("torch.nn.functional.layer_norm(x, [4], weight=wd)", [&] { layer_norm(x, {4}, wd); });
}

TEST(GroupNorm, FunctionalMatchesTorch) {
  struct Case {
    std::vector<int64_t> x;
    int64_t groups;
    bool affine, strided;
  };
  const std::vector<Case> cases = {
      {{2, 6, 4}, 3, true, false},  {{3, 4, 2, 3}, 2, true, false}, {{2, 4}, 2, true, false},
      {{2, 6, 5}, 1, false, false}, {{2, 6, 5}, 6, true, true},     {{3, 4, 3, 2}, 4, true, true},
  };
  for (ScalarType dt : {kFloat, kDouble}) {
    for (const Case& c : cases) {
      Tensor x = c.strided ? swapped_leaf(c.x, dt, 1) : sample(c.x, dt, 1).requires_grad_(true);
      Tensor w = c.affine ? sample({c.x[1]}, dt, 2).requires_grad_(true) : Tensor();
      Tensor b = c.affine ? sample({c.x[1]}, dt, 3).requires_grad_(true) : Tensor();
      std::string call =
          "torch.nn.functional.group_norm(x, " + std::to_string(c.groups) + (c.affine ? ", w, b" : "") + ", eps=1e-4)";
      check_against_torch(call, x, w, b, [&] {
        namespace F = nn::functional;
        return F::group_norm(x, F::GroupNormFuncOptions(c.groups).weight(w).bias(b).eps(1e-4));
      });
    }
  }
}

TEST(GroupNorm, GradFnGradcheckAndDoubleBackward) {
  Tensor x = sample({2, 4, 3}, kDouble, 1).requires_grad_(true);
  Tensor xs = swapped_leaf({2, 4, 2, 2}, kDouble, 2);
  Tensor w = sample({4}, kDouble, 3).requires_grad_(true), b = sample({4}, kDouble, 4).requires_grad_(true);
  EXPECT_EQ(group_norm(x, 2, w, b).grad_fn()->name(), "NativeGroupNormBackward0");
  auto f = [](const variable_list& in) { return group_norm(in[0], 2, in[1], in[2]); };
  auto g = [](const variable_list& in) { return group_norm(in[0], 4); };
  EXPECT_TRUE(autograd::gradcheck(f, {x, w, b}));
  EXPECT_TRUE(autograd::gradgradcheck(f, {x, w, b}));
  EXPECT_TRUE(autograd::gradcheck(f, {xs, w, b}));
  EXPECT_TRUE(autograd::gradgradcheck(f, {xs, w, b}));
  EXPECT_TRUE(autograd::gradgradcheck(g, {xs}));
  Tensor y = group_norm(x, 2, w, b);
  auto gx = autograd::grad({(y * y * y).sum()}, {x}, {}, std::nullopt, true)[0];
  (gx * gx).sum().backward();
  auto ref = oracle::run(
      "y = torch.nn.functional.group_norm(x, 2, w, b)\n"
      "gx, = torch.autograd.grad((y * y * y).sum(), x, create_graph=True)\n(gx * gx).sum().backward()\n"
      "out = (gx, x.grad, w.grad, b.grad)",
      {{"x", x}, {"w", w}, {"b", b}});
  EXPECT_TRUE(close(gx, ref.tensor(0)));
  EXPECT_TRUE(close(x.grad(), ref.tensor(1)));
  EXPECT_TRUE(close(w.grad(), ref.tensor(2)));
  EXPECT_TRUE(close(b.grad(), ref.tensor(3)));
}

TEST(GroupNorm, ModuleDefaultsForwardAndRepr) {
  nn::GroupNorm gn(2, 6);
  EXPECT_SAME(gn->weight, ones({6}));
  EXPECT_SAME(gn->bias, zeros({6}));
  Tensor x = sample({3, 6, 4}, kFloat, 1);
  EXPECT_TRUE(close(gn(x), oracle::eval("torch.nn.GroupNorm(2, 6)(x)", {{"x", x}})));
  EXPECT_EQ(repr(gn), oracle::run("out = repr(torch.nn.GroupNorm(2, 6))").strings[0]);
  nn::GroupNorm g2(nn::GroupNormOptions(3, 6).eps(1e-3).affine(false));
  EXPECT_TRUE(g2->parameters().empty());
  EXPECT_EQ(repr(g2), oracle::run("out = repr(torch.nn.GroupNorm(3, 6, eps=1e-3, affine=False))").strings[0]);
}

TEST(GroupNorm, Errors) {
  namespace F = nn::functional;
  Tensor x = sample({2, 6, 4}), w5 = ones({5}), x1 = sample({6}), x14 = sample({1, 4}), x1411 = sample({1, 4, 1, 1});
  Tensor xl = ones({2, 4}, TensorOptions(kLong)), xd = sample({2, 6}, kDouble), w6 = ones({6});
  oracle::Inputs in = {{"x", x},         {"w5", w5}, {"x1", x1}, {"x14", x14},
                       {"x1411", x1411}, {"xl", xl}, {"xd", xd}, {"w6", w6}};
  auto check = [&](const std::string& code, auto fn) { EXPECT_EQ(error_message(fn), oracle::error_of(code, in)); };
  check("torch.group_norm(x, 4)", [&] { group_norm(x, 4); });
  check("torch.group_norm(x, 3, w5)", [&] { group_norm(x, 3, w5); });
  check("torch.group_norm(x, -2)", [&] { group_norm(x, -2); });
  check("torch.group_norm(x1, 3)", [&] { group_norm(x1, 3); });
  check("torch.group_norm(xl, 2)", [&] { group_norm(xl, 2); });
  check("torch.group_norm(xd, 3, w6)", [&] { group_norm(xd, 3, w6); });
  check("torch.nn.functional.group_norm(x14, 4)", [&] { F::group_norm(x14, F::GroupNormFuncOptions(4)); });
  check("torch.nn.functional.group_norm(x1411, 4)", [&] { F::group_norm(x1411, F::GroupNormFuncOptions(4)); });
  check("torch.nn.GroupNorm(4, 6)", [&] { nn::GroupNorm(4, 6); });
}
