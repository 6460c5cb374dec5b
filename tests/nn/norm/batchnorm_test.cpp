// batch_norm and the BatchNorm modules against PyTorch: values, gradients and running
// statistics in training and eval, float32/float64, non-contiguous inputs, gradcheck and
// gradgradcheck, default initialisation, buffers, reprs and error messages.
#include <nabla/nn/functional/batchnorm.h>
#include <nabla/nn/modules/batchnorm.h>

#include "nn/norm/norm_testing.h"

using namespace nabla;
using nabla::autograd::variable_list;
using nabla::norm_testing::close;
using nabla::norm_testing::py_shape;
using nabla::norm_testing::repr;
using nabla::norm_testing::swapped_leaf;
using nabla::testing::error_message;
using nabla::testing::sample;
using nabla::testing::sample_positive;

namespace {

struct Case {
  std::vector<int64_t> shape;
  bool affine = true;
  bool strided = false;
};

// batch_norm forward + backward (of sum(y * gy)) in nabla and PyTorch; compares the output,
// the gradients and the running statistics after the call.
void check_functional(const Case& c, ScalarType dt, bool training) {
  SCOPED_TRACE("shape=" + py_shape(c.shape) + " training=" + std::to_string(training) +
               " affine=" + std::to_string(c.affine) + " strided=" + std::to_string(c.strided));
  const int64_t ch = c.shape[1];
  Tensor x = c.strided ? swapped_leaf(c.shape, dt, 1) : sample(c.shape, dt, 1).requires_grad_(true);
  Tensor w = c.affine ? sample({ch}, dt, 2).requires_grad_(true) : Tensor();
  Tensor b = c.affine ? sample({ch}, dt, 3).requires_grad_(true) : Tensor();
  Tensor rm = sample({ch}, dt, 4), rv = sample_positive({ch}, dt, 5);
  Tensor rm0 = rm.clone(), rv0 = rv.clone();
  Tensor gy = sample(c.shape, dt, 6);
  Tensor y = batch_norm(x, w, b, rm, rv, training, 0.3, 1e-3);
  EXPECT_EQ(y.grad_fn()->name(), "NativeBatchNormBackward0");
  (y * gy).sum().backward();
  oracle::Inputs in = {{"x", x}, {"rm", rm0}, {"rv", rv0}, {"gy", gy}};
  if (c.affine) {
    in.push_back({"w", w});
    in.push_back({"b", b});
  }
  std::string code = std::string("y = torch.nn.functional.batch_norm(x, rm, rv, ") +
                     (c.affine ? "w, b, " : "None, None, ") + (training ? "True" : "False") +
                     ", 0.3, 1e-3)\n(y * gy).sum().backward()\n" +
                     (c.affine ? "out = (y, x.grad, w.grad, b.grad, rm, rv)" : "out = (y, x.grad, rm, rv)");
  auto ref = oracle::run(code, in);
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_TRUE(close(y, ref.tensor(0)));
  EXPECT_TRUE(close(x.grad(), ref.tensor(1)));
  size_t next = 2;
  if (c.affine) {
    EXPECT_TRUE(close(w.grad(), ref.tensor(2)));
    EXPECT_TRUE(close(b.grad(), ref.tensor(3)));
    next = 4;
  }
  EXPECT_TRUE(close(rm, ref.tensor(next)));
  EXPECT_TRUE(close(rv, ref.tensor(next + 1)));
}

}  // namespace

TEST(BatchNorm, FunctionalTrainAndEvalMatchTorch) {
  const std::vector<Case> cases = {
      {{4, 3}},
      {{5, 2, 7}},
      {{2, 3, 4, 5}},
      {{3, 4, 2, 3}, false},
      {{4, 3, 5}, true, true},
      {{3, 2, 2, 3}, false, true},
  };
  for (ScalarType dt : {kFloat, kDouble})
    for (const Case& c : cases)
      for (bool training : {true, false}) check_functional(c, dt, training);
}

TEST(BatchNorm, TrainingWithoutRunningStats) {
  Tensor x = sample({6, 3, 4}, kDouble, 1).requires_grad_(true);
  Tensor y = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5);
  (y * y.detach()).sum().backward();
  auto ref = oracle::run(
      "y = torch.batch_norm(x, None, None, None, None, True, 0.1, 1e-5, False)\n(y * y.detach()).sum().backward()\n"
      "out = (y, x.grad)",
      {{"x", x}});
  EXPECT_TRUE(close(y, ref.tensor(0)));
  EXPECT_TRUE(close(x.grad(), ref.tensor(1)));
}

TEST(BatchNorm, LargeInputUsesThreadsAndMatches) {
  Tensor x = sample({64, 8, 16, 16}, kFloat, 3).requires_grad_(true);
  Tensor w = sample({8}, kFloat, 4).requires_grad_(true), b = sample({8}, kFloat, 5).requires_grad_(true);
  Tensor rm = zeros({8}), rv = ones({8});
  Tensor y = batch_norm(x, w, b, rm, rv, true, 0.1, 1e-5);
  y.sum().backward();
  auto ref = oracle::run(
      "rm = torch.zeros(8); rv = torch.ones(8)\n"
      "y = torch.nn.functional.batch_norm(x, rm, rv, w, b, True, 0.1, 1e-5)\ny.sum().backward()\n"
      "out = (y, x.grad, w.grad, b.grad, rm, rv)",
      {{"x", x}, {"w", w}, {"b", b}});
  EXPECT_TRUE(close(y, ref.tensor(0)));
  EXPECT_TRUE(nabla::testing::same(x.grad(), ref.tensor(1), 1e-3, 1e-5));
  EXPECT_TRUE(nabla::testing::same(w.grad(), ref.tensor(2), 1e-4, 1e-3));
  EXPECT_TRUE(close(b.grad(), ref.tensor(3)));
  EXPECT_TRUE(close(rm, ref.tensor(4)));
  EXPECT_TRUE(close(rv, ref.tensor(5)));
}

TEST(BatchNorm, Gradcheck) {
  for (bool training : {true, false}) {
    SCOPED_TRACE(training);
    Tensor x = sample({3, 2, 4}, kDouble, 1).requires_grad_(true);
    Tensor xs = swapped_leaf({3, 2, 2, 2}, kDouble, 2);
    Tensor w = sample({2}, kDouble, 3).requires_grad_(true), b = sample({2}, kDouble, 4).requires_grad_(true);
    Tensor rm = sample({2}, kDouble, 5), rv = sample_positive({2}, kDouble, 6);
    auto affine = [&](const variable_list& in) {
      return batch_norm(in[0], in[1], in[2], rm.clone(), rv.clone(), training, 0.1, 1e-5);
    };
    auto plain = [&](const variable_list& in) {
      return batch_norm(in[0], Tensor(), Tensor(), rm.clone(), rv.clone(), training, 0.1, 1e-5);
    };
    EXPECT_TRUE(autograd::gradcheck(affine, {x, w, b}));
    EXPECT_TRUE(autograd::gradgradcheck(affine, {x, w, b}));
    EXPECT_TRUE(autograd::gradcheck(affine, {xs, w, b}));
    EXPECT_TRUE(autograd::gradgradcheck(affine, {xs, w, b}));
    EXPECT_TRUE(autograd::gradcheck(plain, {x}));
    EXPECT_TRUE(autograd::gradgradcheck(plain, {x}));
  }
}

TEST(BatchNorm, DoubleBackwardMatchesTorch) {
  Tensor x = sample({4, 3, 2}, kDouble, 1).requires_grad_(true);
  Tensor w = sample({3}, kDouble, 2).requires_grad_(true), b = sample({3}, kDouble, 3).requires_grad_(true);
  Tensor y = batch_norm(x, w, b, Tensor(), Tensor(), true, 0.1, 1e-5);
  auto gx = autograd::grad({(y * y).sum()}, {x}, {}, std::nullopt, true)[0];
  (gx * gx).sum().backward();
  auto ref = oracle::run(
      "y = torch.batch_norm(x, w, b, None, None, True, 0.1, 1e-5, False)\n"
      "gx, = torch.autograd.grad((y * y).sum(), x, create_graph=True)\n(gx * gx).sum().backward()\n"
      "out = (gx, x.grad, w.grad, b.grad)",
      {{"x", x}, {"w", w}, {"b", b}});
  EXPECT_TRUE(close(gx, ref.tensor(0)));
  EXPECT_TRUE(close(x.grad(), ref.tensor(1)));
  EXPECT_TRUE(close(w.grad(), ref.tensor(2)));
  EXPECT_TRUE(close(b.grad(), ref.tensor(3)));
}

TEST(BatchNorm, ModuleRunningStatsOverSeveralSteps) {
  for (bool cumulative : {false, true}) {
    SCOPED_TRACE(cumulative);
    auto opts = nn::BatchNorm2dOptions(3).momentum(cumulative ? std::nullopt : std::optional<double>(0.2));
    nn::BatchNorm2d bn(opts);
    std::vector<Tensor> xs;
    for (int i = 0; i < 3; ++i) {
      xs.push_back(sample({2, 3, 4, 4}, kFloat, 10 + i));
      bn(xs.back());
    }
    bn->eval();
    Tensor xe = sample({2, 3, 4, 4}, kFloat, 20).requires_grad_(true);
    Tensor ye = bn(xe);
    ye.sum().backward();
    auto ref = oracle::run(std::string("m = torch.nn.BatchNorm2d(3, momentum=") + (cumulative ? "None" : "0.2") +
                               ")\nfor x in (x0, x1, x2): m(x)\nm.eval()\ny = m(xe)\ny.sum().backward()\n"
                               "out = (m.running_mean, m.running_var, m.num_batches_tracked, y, xe.grad)",
                           {{"x0", xs[0]}, {"x1", xs[1]}, {"x2", xs[2]}, {"xe", xe}});
    EXPECT_TRUE(close(bn->running_mean, ref.tensor(0)));
    EXPECT_TRUE(close(bn->running_var, ref.tensor(1)));
    EXPECT_SAME(bn->num_batches_tracked, ref.tensor(2));
    EXPECT_TRUE(close(ye, ref.tensor(3)));
    EXPECT_TRUE(close(xe.grad(), ref.tensor(4)));
  }
}

TEST(BatchNorm, ModuleWithoutTrackingUsesBatchStatsInEval) {
  nn::BatchNorm1d bn(nn::BatchNorm1dOptions(4).track_running_stats(false).affine(false));
  EXPECT_TRUE(bn->parameters().empty());
  EXPECT_TRUE(bn->buffers().empty());
  bn->eval();
  Tensor x = sample({5, 4}, kFloat, 1);
  EXPECT_TRUE(close(
      bn(x), oracle::eval("torch.nn.BatchNorm1d(4, track_running_stats=False, affine=False).eval()(x)", {{"x", x}})));
}

TEST(BatchNorm, ModuleTrainingDoubleAndThreeD) {
  nn::BatchNorm1d bn(3);
  bn->to(kDouble);
  Tensor x = sample({4, 3, 5}, kDouble, 1).requires_grad_(true);
  Tensor y = bn(x);
  y.pow(2).sum().backward();
  auto ref = oracle::run(
      "m = torch.nn.BatchNorm1d(3).double()\ny = m(x)\ny.pow(2).sum().backward()\n"
      "out = (y, x.grad, m.weight.grad, m.bias.grad, m.running_mean, m.running_var)",
      {{"x", x}});
  EXPECT_TRUE(close(y, ref.tensor(0)));
  EXPECT_TRUE(close(x.grad(), ref.tensor(1)));
  EXPECT_TRUE(close(bn->weight.grad(), ref.tensor(2)));
  EXPECT_TRUE(close(bn->bias.grad(), ref.tensor(3)));
  EXPECT_TRUE(close(bn->running_mean, ref.tensor(4)));
  EXPECT_TRUE(close(bn->running_var, ref.tensor(5)));
}

TEST(BatchNorm, DefaultsBuffersAndRepr) {
  nn::BatchNorm2d bn(32);
  EXPECT_SAME(bn->weight, ones({32}));
  EXPECT_SAME(bn->bias, zeros({32}));
  EXPECT_TRUE(bn->weight.requires_grad());
  EXPECT_SAME(bn->running_mean, zeros({32}));
  EXPECT_SAME(bn->running_var, ones({32}));
  EXPECT_SAME(bn->num_batches_tracked, zeros({}, TensorOptions(kLong)));
  auto names = bn->named_buffers().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"}));
  EXPECT_EQ(bn->named_parameters().keys(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(repr(bn), oracle::run("out = repr(torch.nn.BatchNorm2d(32))").strings[0]);
  nn::BatchNorm1d b1(nn::BatchNorm1dOptions(3).eps(1e-3).momentum(std::nullopt).affine(false));
  EXPECT_EQ(repr(b1),
            oracle::run("out = repr(torch.nn.BatchNorm1d(3, eps=1e-3, momentum=None, affine=False))").strings[0]);
  nn::BatchNorm3d b3(nn::BatchNorm3dOptions(5).momentum(0.01).track_running_stats(false));
  EXPECT_EQ(repr(b3),
            oracle::run("out = repr(torch.nn.BatchNorm3d(5, momentum=0.01, track_running_stats=False))").strings[0]);
  auto sd = bn->state_dict();
  EXPECT_EQ(sd.keys(),
            (std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}));
}

TEST(BatchNorm, ResetRunningStatsAndClone) {
  nn::BatchNorm1d bn(2);
  bn(sample({3, 2}, kFloat, 1));
  auto copy = std::dynamic_pointer_cast<nn::BatchNorm1dImpl>(bn->clone());
  EXPECT_SAME(copy->running_mean, bn->running_mean);
  EXPECT_FALSE(copy->running_mean.is_same(bn->running_mean));
  bn->reset_running_stats();
  EXPECT_SAME(bn->running_mean, zeros({2}));
  EXPECT_SAME(bn->num_batches_tracked, zeros({}, TensorOptions(kLong)));
  EXPECT_SAME(copy->num_batches_tracked, ones({}, TensorOptions(kLong)));
}

TEST(BatchNorm, Errors) {
  namespace F = nn::functional;
  auto check = [](const std::string& code, oracle::Inputs in, auto fn) {
    EXPECT_EQ(error_message(fn), oracle::error_of(code, in)) << code;
  };
  Tensor x13 = sample({1, 3}), x23 = sample({2, 3}), rm3 = zeros({3}), rv3 = ones({3}), v4 = ones({4});
  oracle::Inputs in = {{"x13", x13}, {"x23", x23}, {"rm3", rm3}, {"rv3", rv3}, {"v4", v4}};
  check("F = torch.nn.functional; F.batch_norm(x13, rm3, rv3, training=True)", in,
        [&] { F::batch_norm(x13, rm3, rv3, F::BatchNormFuncOptions().training(true)); });
  Tensor x1311 = sample({1, 3, 1, 1});
  check("torch.nn.functional.batch_norm(x, rm3, rv3, training=True)", {{"x", x1311}, {"rm3", rm3}, {"rv3", rv3}},
        [&] { F::batch_norm(x1311, rm3, rv3, F::BatchNormFuncOptions().training(true)); });
  check("torch.nn.functional.batch_norm(x23, v4, rv3, training=True)", in,
        [&] { F::batch_norm(x23, v4, rv3, F::BatchNormFuncOptions().training(true)); });
  check("torch.nn.functional.batch_norm(x23, rm3, v4, training=True)", in,
        [&] { F::batch_norm(x23, rm3, v4, F::BatchNormFuncOptions().training(true)); });
  check("torch.nn.functional.batch_norm(x23, rm3, rv3, weight=v4, training=True)", in,
        [&] { F::batch_norm(x23, rm3, rv3, F::BatchNormFuncOptions().weight(v4).training(true)); });
  check("torch.nn.functional.batch_norm(x23, rm3, rv3, bias=v4, training=True)", in,
        [&] { F::batch_norm(x23, rm3, rv3, F::BatchNormFuncOptions().bias(v4).training(true)); });
  check("torch.nn.functional.batch_norm(x23, None, None, training=False)", in,
        [&] { F::batch_norm(x23, Tensor(), Tensor(), F::BatchNormFuncOptions()); });
  check("torch.nn.functional.batch_norm(x23, rm3, None, training=False)", in,
        [&] { F::batch_norm(x23, rm3, Tensor(), F::BatchNormFuncOptions()); });
  Tensor xl = ones({2, 3}, TensorOptions(kLong)), xd = sample({2, 3}, kDouble), wd = ones({3}, TensorOptions(kDouble));
  check("torch.nn.functional.batch_norm(xl, rm3, rv3, training=True)", {{"xl", xl}, {"rm3", rm3}, {"rv3", rv3}},
        [&] { F::batch_norm(xl, rm3, rv3, F::BatchNormFuncOptions().training(true)); });
  check("torch.nn.functional.batch_norm(x23, rm3, rv3, weight=wd, training=True)",
        {{"x23", x23}, {"rm3", rm3}, {"rv3", rv3}, {"wd", wd}},
        [&] { F::batch_norm(x23, rm3, rv3, F::BatchNormFuncOptions().weight(wd).training(true)); });
  check("torch.nn.functional.batch_norm(xd, rm3, rv3, training=True)", {{"xd", xd}, {"rm3", rm3}, {"rv3", rv3}},
        [&] { F::batch_norm(xd, rm3, rv3, F::BatchNormFuncOptions().training(true)); });
  Tensor x4 = sample({2, 3, 4, 5}), x3 = sample({2, 3, 4});
  check("torch.nn.BatchNorm1d(3)(x4)", {{"x4", x4}}, [&] { nn::BatchNorm1d(3)(x4); });
  check("torch.nn.BatchNorm2d(3)(x3)", {{"x3", x3}}, [&] { nn::BatchNorm2d(3)(x3); });
  check("torch.nn.BatchNorm3d(3)(x3)", {{"x3", x3}}, [&] { nn::BatchNorm3d(3)(x3); });
  check("torch.nn.functional.batch_norm(x23, rm3, rv3, training=True, momentum=None)", in,
        [&] { F::batch_norm(x23, rm3, rv3, F::BatchNormFuncOptions().training(true).momentum(std::nullopt)); });
}
