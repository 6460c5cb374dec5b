// dropout / feature_dropout and the Dropout / Dropout2d modules against PyTorch: the masks
// bit for bit after the same seed and calls (several seeds, shapes, p, float32/float64),
// gradients, in-place forms, eval mode and the p = 0 / p = 1 edge cases, reprs and errors.
#include <nabla/nn/functional/dropout.h>
#include <nabla/nn/modules/dropout.h>

#include "nn/norm/norm_testing.h"

using namespace nabla;
using nabla::autograd::variable_list;
using nabla::norm_testing::py_shape;
using nabla::norm_testing::repr;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {

std::string py_float(double p) {
  std::ostringstream os;
  os.precision(17);
  os << p;
  return os.str();
}

}  // namespace

TEST(Dropout, MasksBitExactAcrossSeedsShapesAndP) {
  const std::vector<std::vector<int64_t>> shapes = {{7}, {4, 5}, {3, 4, 17}, {2, 3, 4, 5}};
  const std::vector<double> ps = {0.1, 0.5, 0.8};
  int seed = 0;
  for (ScalarType dt : {kFloat, kDouble}) {
    for (const auto& shape : shapes) {
      for (double p : ps) {
        ++seed;
        SCOPED_TRACE("shape=" + py_shape(shape) + " p=" + py_float(p) + " seed=" + std::to_string(seed));
        Tensor x = sample(shape, dt, seed);
        manual_seed(static_cast<uint64_t>(seed));
        Tensor y1 = dropout(x, p, true);
        Tensor y2 = nn::functional::dropout(x, nn::functional::DropoutFuncOptions().p(p));
        auto ref = oracle::run("torch.manual_seed(" + std::to_string(seed) + ")\nF = torch.nn.functional\n" +
                                   "out = (F.dropout(x, " + py_float(p) + "), F.dropout(x, " + py_float(p) + "))",
                               {{"x", x}});
        EXPECT_SAME(y1, ref.tensor(0));
        EXPECT_SAME(y2, ref.tensor(1));
      }
    }
  }
}

TEST(Dropout, NonContiguousInputAndInterleavedRandomCalls) {
  Tensor x = sample({5, 6}, kFloat, 3).t();
  manual_seed(11);
  Tensor a = dropout(x, 0.3, true);
  Tensor r = rand({3});
  Tensor b = dropout(x, 0.6, true);
  auto ref = oracle::run(
      "torch.manual_seed(11)\nF = torch.nn.functional\na = F.dropout(x, 0.3)\nr = torch.rand(3)\n"
      "b = F.dropout(x, 0.6)\nout = (a, r, b)",
      {{"x", x}});
  EXPECT_SAME(a, ref.tensor(0));
  EXPECT_SAME(r, ref.tensor(1));
  EXPECT_SAME(b, ref.tensor(2));
}

TEST(Dropout, FeatureDropoutMasksBitExact) {
  int seed = 100;
  for (ScalarType dt : {kFloat, kDouble}) {
    for (double p : {0.25, 0.5}) {
      ++seed;
      Tensor x4 = sample({3, 5, 2, 3}, dt, seed), x3 = sample({4, 2, 3}, dt, seed), x2 = sample({6, 4}, dt, seed);
      manual_seed(static_cast<uint64_t>(seed));
      Tensor f2 = feature_dropout(x2, p, true);
      Tensor d4 = nn::functional::dropout2d(x4, nn::functional::Dropout2dFuncOptions().p(p));
      Tensor d3 = nn::functional::dropout2d(x3, nn::functional::Dropout2dFuncOptions().p(p));
      // A 3-D input to dropout2d is one unbatched (C, H, W) sample, as in libtorch.
      auto ref = oracle::run("torch.manual_seed(" + std::to_string(seed) + ")\n" + "f2 = torch.feature_dropout(x2, " +
                                 py_float(p) + ", True)\n" + "d4 = torch.nn.functional.dropout2d(x4, " + py_float(p) +
                                 ")\n" + "d3 = torch.feature_dropout(x3.unsqueeze(0), " + py_float(p) +
                                 ", True).squeeze(0)\n" + "out = (f2, d4, d3)",
                             {{"x4", x4}, {"x3", x3}, {"x2", x2}});
      EXPECT_SAME(f2, ref.tensor(0));
      EXPECT_SAME(d4, ref.tensor(1));
      EXPECT_SAME(d3, ref.tensor(2));
    }
  }
}

TEST(Dropout, GradientIsTheScaledMask) {
  Tensor x = sample({4, 6}, kDouble, 1).requires_grad_(true);
  manual_seed(5);
  Tensor y = dropout(x, 0.4, true);
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward0");
  Tensor gy = sample({4, 6}, kDouble, 2);
  (y * gy).sum().backward();
  auto ref = oracle::run(
      "torch.manual_seed(5)\ny = torch.nn.functional.dropout(x, 0.4)\n(y * gy).sum().backward()\nout = (y, x.grad)",
      {{"x", x}, {"gy", gy}});
  EXPECT_SAME(y, ref.tensor(0));
  EXPECT_SAME(x.grad(), ref.tensor(1));
  auto f = [](const variable_list& in) {
    manual_seed(3);
    return dropout(in[0], 0.5, true);
  };
  EXPECT_TRUE(autograd::gradcheck(f, {x}));
  EXPECT_TRUE(autograd::gradgradcheck(f, {x}));
  auto g = [](const variable_list& in) {
    manual_seed(3);
    return feature_dropout(in[0], 0.5, true);
  };
  Tensor xs = nabla::norm_testing::swapped_leaf({4, 6}, kDouble, 7);
  EXPECT_TRUE(autograd::gradcheck(g, {xs}));
  EXPECT_TRUE(autograd::gradgradcheck(g, {xs}));
}

TEST(Dropout, InPlaceForms) {
  Tensor x = sample({3, 4, 2, 2}, kFloat, 1);
  Tensor a = x.clone(), b = x.clone();
  manual_seed(9);
  Tensor& ra = dropout_(a, 0.3, true);
  EXPECT_TRUE(ra.is_same(a));
  Tensor rb = nn::functional::dropout2d(b, nn::functional::Dropout2dFuncOptions().p(0.3).inplace(true));
  EXPECT_TRUE(rb.is_same(b));
  auto ref = oracle::run(
      "torch.manual_seed(9)\na = x.clone(); b = x.clone()\ntorch.dropout_(a, 0.3, True)\n"
      "torch.nn.functional.dropout2d(b, 0.3, inplace=True)\nout = (a, b)",
      {{"x", x}});
  EXPECT_SAME(a, ref.tensor(0));
  EXPECT_SAME(b, ref.tensor(1));
  Tensor c = sample({2, 3}, kFloat, 2).requires_grad_(true);
  Tensor d = c * 1;
  nn::functional::dropout(d, nn::functional::DropoutFuncOptions().p(0.5).inplace(true));
  EXPECT_EQ(d.grad_fn()->name(), "MulBackward0");
}

TEST(Dropout, IdentityCasesAndPOne) {
  Tensor x = sample({3, 4}, kFloat, 1).requires_grad_(true);
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(dropout(x, 0.0, true).is_same(x));
  EXPECT_TRUE(feature_dropout(x, 0.5, false).is_same(x));
  Tensor empty_in = zeros({0, 3});
  EXPECT_TRUE(dropout(empty_in, 0.5, true).is_same(empty_in));
  // p == 1 draws nothing: the next random numbers are unchanged.
  manual_seed(4);
  Tensor y = dropout(x, 1.0, true);
  Tensor r = rand({2});
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward0");
  auto ref = oracle::run(
      "torch.manual_seed(4)\ny = torch.nn.functional.dropout(x, 1.0)\nr = torch.rand(2)\nout = (y, r)", {{"x", x}});
  EXPECT_SAME(y, ref.tensor(0));
  EXPECT_SAME(r, ref.tensor(1));
  nn::Dropout drop(0.5);
  drop->eval();
  EXPECT_TRUE(drop(x).is_same(x));
  nn::Dropout2d drop2d(0.5);
  drop2d->eval();
  Tensor x4 = sample({2, 3, 2, 2});
  EXPECT_TRUE(drop2d(x4).is_same(x4));
}

TEST(Dropout, ModulesInTrainingMatchTorch) {
  nn::Dropout drop(nn::DropoutOptions(0.3));
  nn::Dropout2d drop2d(0.6);
  Tensor x = sample({4, 8}, kFloat, 1), x4 = sample({2, 5, 3, 3}, kFloat, 2);
  manual_seed(21);
  Tensor a = drop(x), b = drop2d(x4), c = drop(x);
  auto ref = oracle::run(
      "torch.manual_seed(21)\nd = torch.nn.Dropout(0.3)\nd2 = torch.nn.Dropout2d(0.6)\n"
      "out = (d(x), d2(x4), d(x))",
      {{"x", x}, {"x4", x4}});
  EXPECT_SAME(a, ref.tensor(0));
  EXPECT_SAME(b, ref.tensor(1));
  EXPECT_SAME(c, ref.tensor(2));
}

TEST(Dropout, ReprsAndErrors) {
  EXPECT_EQ(repr(nn::Dropout()), oracle::run("out = repr(torch.nn.Dropout())").strings[0]);
  EXPECT_EQ(repr(nn::Dropout(nn::DropoutOptions(0.2).inplace(true))),
            oracle::run("out = repr(torch.nn.Dropout(0.2, inplace=True))").strings[0]);
  EXPECT_EQ(repr(nn::Dropout2d(1.0)), oracle::run("out = repr(torch.nn.Dropout2d(1.0))").strings[0]);
  EXPECT_EQ(repr(nn::Dropout(1e-5)), oracle::run("out = repr(torch.nn.Dropout(1e-5))").strings[0]);
  Tensor x = sample({3});
  oracle::Inputs in = {{"x", x}};
  const std::string msg = oracle::error_of("torch.nn.functional.dropout(x, 1.5)", in);
  EXPECT_EQ(error_message([&] { dropout(x, 1.5, true); }), msg);
  EXPECT_EQ(error_message([&] { dropout(x, 1.5, false); }), msg);
  EXPECT_EQ(error_message([&] { nn::functional::dropout(x, nn::functional::DropoutFuncOptions().p(1.5)); }), msg);
  EXPECT_EQ(error_message([&] { nn::Dropout(1.5); }), oracle::error_of("torch.nn.Dropout(1.5)"));
  EXPECT_EQ(error_message([&] { nn::Dropout2d(-0.5); }), oracle::error_of("torch.nn.Dropout2d(-0.5)"));
  EXPECT_EQ(error_message([&] { feature_dropout(x, 0.5, true); }),
            oracle::error_of("torch.feature_dropout(x, 0.5, True)", in));
  Tensor xl = ones({3}, TensorOptions(kLong));
  EXPECT_EQ(error_message([&] { dropout(xl, 0.5, true); }),
            oracle::error_of("torch.nn.functional.dropout(xl, 0.5)", {{"xl", xl}}));
}
