// conv1d / conv2d / conv_transpose2d against PyTorch: values and gradients over strides,
// paddings (numbers, 'same', 'valid'), dilations, groups, batch sizes, dtypes and layouts;
// gradcheck and gradgradcheck; grad_fn names; error messages.
#include <nabla/nn/functional/conv.h>
#include <nabla/parallel.h>

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

::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  if (!a.defined() || !e.defined())
    return a.defined() == e.defined() ? ::testing::AssertionSuccess()
                                      : ::testing::AssertionFailure() << "one gradient is undefined";
  if (a.scalar_type() == kFloat) return same(a, e, 1e-4, 1e-4);
  return same(a, e, 1e-9, 1e-9);
}

// A leaf of the given shape whose last two dims are transposed in memory (non-contiguous).
Tensor strided_leaf(IntArrayRef shape, ScalarType dt, int seed) {
  DimVector s(shape);
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  return sample(s, dt, seed).transpose(-1, -2).detach().requires_grad_(true);
}

struct ConvCase {
  std::vector<int64_t> x, w, stride, padding, dilation;
  int64_t groups = 1;
  bool bias = true;
  bool strided = false;
  std::vector<int64_t> output_padding = {0};
};

// Runs the convolution (conv1d, conv2d or conv_transpose2d) in nabla and PyTorch on the same
// values and compares the output and the gradients of input, weight and bias.
void check_case(const std::string& fn, const ConvCase& c, ScalarType dt) {
  SCOPED_TRACE(fn + " x=" + py(c.x) + " w=" + py(c.w) + " stride=" + py(c.stride) + " padding=" + py(c.padding) +
               " dilation=" + py(c.dilation) + " groups=" + std::to_string(c.groups));
  Tensor x = c.strided ? strided_leaf(c.x, dt, 1) : sample(c.x, dt, 1).requires_grad_(true);
  Tensor w = sample(c.w, dt, 2).requires_grad_(true);
  const int64_t out_ch = fn == "conv_transpose2d" ? c.w[1] * c.groups : c.w[0];
  Tensor b = c.bias ? sample({out_ch}, dt, 3).requires_grad_(true) : Tensor();
  std::optional<Tensor> bo = c.bias ? std::optional<Tensor>(b) : std::nullopt;
  Tensor y;
  std::string call;
  if (fn == "conv1d") {
    y = conv1d(x, w, bo, c.stride, c.padding, c.dilation, c.groups);
  } else if (fn == "conv2d") {
    y = conv2d(x, w, bo, c.stride, c.padding, c.dilation, c.groups);
  } else {
    y = conv_transpose2d(x, w, bo, c.stride, c.padding, c.output_padding, c.groups, c.dilation);
    call = ", output_padding=" + py(c.output_padding);
  }
  Tensor go = sample(y.sizes(), dt, 4);
  y.backward(go);
  const std::string code = "y = torch.nn.functional." + fn + "(x, w, " + (c.bias ? "b" : "None") +
                           ", stride=" + py(c.stride) + ", padding=" + py(c.padding) + ", dilation=" + py(c.dilation) +
                           ", groups=" + std::to_string(c.groups) + call +
                           ")\ny.backward(go)\nout = (y, x.grad, w.grad" + (c.bias ? ", b.grad)" : ")");
  oracle::Inputs in = {{"x", x}, {"w", w}, {"go", go}};
  if (c.bias) in.push_back({"b", b});
  auto r = oracle::run(code, in);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(close(y, r.tensor(0)));
  EXPECT_TRUE(close(x.grad(), r.tensor(1)));
  EXPECT_TRUE(close(w.grad(), r.tensor(2)));
  if (c.bias) {
    EXPECT_TRUE(close(b.grad(), r.tensor(3)));
  }
  EXPECT_EQ(y.grad_fn()->name(), "ConvolutionBackward0");
}

}  // namespace

TEST(Conv, Conv2dValuesAndGradients) {
  const std::vector<ConvCase> cases = {
      {{2, 3, 7, 6}, {4, 3, 3, 3}, {1}, {0}, {1}},
      {{1, 1, 28, 28}, {8, 1, 3, 3}, {1}, {1}, {1}},
      {{3, 4, 9, 8}, {6, 2, 3, 2}, {2, 1}, {1, 0}, {1}, 2},
      {{2, 6, 10, 9}, {6, 1, 3, 3}, {1}, {2}, {2, 1}, 6, false},
      {{2, 4, 5, 5}, {5, 4, 1, 1}, {1}, {0}, {1}},
      {{2, 4, 6, 7}, {6, 2, 1, 1}, {2}, {0}, {1}, 2},
      {{4, 3, 11, 10}, {2, 3, 4, 3}, {3, 2}, {2, 1}, {1, 2}, 1, true, true},
      {{1, 2, 5, 5}, {3, 2, 5, 5}, {1}, {0}, {1}},
  };
  for (ScalarType dt : {kFloat, kDouble})
    for (const auto& c : cases) check_case("conv2d", c, dt);
}

TEST(Conv, Conv1dValuesAndGradients) {
  const std::vector<ConvCase> cases = {
      {{2, 3, 10}, {4, 3, 3}, {1}, {0}, {1}},
      {{3, 4, 12}, {6, 2, 4}, {2}, {1}, {2}, 2},
      {{1, 2, 7}, {3, 2, 1}, {1}, {0}, {1}, 1, false},
      {{2, 3, 9}, {5, 3, 3}, {3}, {1}, {1}, 1, true, true},
  };
  for (ScalarType dt : {kFloat, kDouble})
    for (const auto& c : cases) check_case("conv1d", c, dt);
}

TEST(Conv, ConvTranspose2dValuesAndGradients) {
  std::vector<ConvCase> cases = {
      {{2, 3, 5, 4}, {3, 2, 3, 3}, {1}, {0}, {1}},
      {{2, 4, 4, 5}, {4, 3, 3, 2}, {2, 1}, {1, 0}, {1}, 2},
      {{1, 2, 3, 3}, {2, 4, 3, 3}, {2}, {1}, {2}, 1, false, true},
      {{3, 2, 4, 4}, {2, 3, 1, 1}, {1}, {0}, {1}},
  };
  cases[1].output_padding = {1, 0};
  cases[2].output_padding = {1};
  for (ScalarType dt : {kFloat, kDouble})
    for (const auto& c : cases) check_case("conv_transpose2d", c, dt);
}

TEST(Conv, SameAndValidPadding) {
  for (ScalarType dt : {kFloat, kDouble})
    for (const std::vector<int64_t>& k : {std::vector<int64_t>{3, 3}, {4, 2}, {2, 5}})
      for (int64_t d : {1, 2}) {
        Tensor x = sample({2, 3, 7, 10}, dt, 1).requires_grad_(true);
        Tensor w = sample({4, 3, k[0], k[1]}, dt, 2).requires_grad_(true);
        for (PaddingMode pm : {kSame, kValid}) {
          const std::string mode = pm == kSame ? "same" : "valid";
          x.mutable_grad() = Tensor();
          w.mutable_grad() = Tensor();
          Tensor y = conv2d(x, w, std::nullopt, 1, pm, d);
          EXPECT_EQ(y.grad_fn()->name(), "ConvolutionBackward0");
          Tensor go = sample(y.sizes(), dt, 3);
          y.backward(go);
          auto r = oracle::run(std::string("y = torch.nn.functional.conv2d(x, w, padding='") + mode +
                                   "', dilation=" + std::to_string(d) + ")\ny.backward(go)\nout = (y, x.grad, w.grad)",
                               {{"x", x}, {"w", w}, {"go", go}});
          EXPECT_TRUE(close(y, r.tensor(0))) << mode;
          EXPECT_TRUE(close(x.grad(), r.tensor(1))) << mode;
          EXPECT_TRUE(close(w.grad(), r.tensor(2))) << mode;
        }
      }
  Tensor x1 = sample({2, 3, 9}, kDouble, 4), w1 = sample({2, 3, 4}, kDouble, 5);
  EXPECT_TRUE(
      close(conv1d(x1, w1, std::nullopt, 1, "same", 3),
            oracle::eval("torch.nn.functional.conv1d(x, w, padding='same', dilation=3)", {{"x", x1}, {"w", w1}})));
}

TEST(Conv, UnbatchedInputs) {
  Tensor x = sample({3, 6, 5}, kFloat, 1).requires_grad_(true);
  Tensor w = sample({4, 3, 3, 3}, kFloat, 2);
  Tensor y = conv2d(x, w, std::nullopt, 1, 1);
  EXPECT_EQ(y.grad_fn()->name(), "SqueezeBackward1");
  EXPECT_TRUE(close(y, oracle::eval("torch.nn.functional.conv2d(x, w, padding=1)", {{"x", x}, {"w", w}})));
  Tensor x1 = sample({3, 8}, kFloat, 3), w1 = sample({2, 3, 3}, kFloat, 4);
  EXPECT_TRUE(close(conv1d(x1, w1), oracle::eval("torch.nn.functional.conv1d(x, w)", {{"x", x1}, {"w", w1}})));
  Tensor wt = sample({3, 2, 3, 3}, kFloat, 5);
  EXPECT_TRUE(close(conv_transpose2d(x, wt, std::nullopt, 2),
                    oracle::eval("torch.nn.functional.conv_transpose2d(x, w, stride=2)", {{"x", x}, {"w", wt}})));
}

TEST(Conv, FunctionalOptions) {
  namespace F = nn::functional;
  Tensor x = sample({2, 4, 6, 6}, kFloat, 1), w = sample({6, 2, 3, 3}, kFloat, 2), b = sample({6}, kFloat, 3);
  EXPECT_SAME(F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).stride(2).padding(1).groups(2)),
              conv2d(x, w, b, 2, 1, 1, 2));
  EXPECT_SAME(F::conv2d(x, w, F::Conv2dFuncOptions().padding(kSame).groups(2).dilation({1, 2})),
              conv2d(x, w, std::nullopt, 1, "same", {1, 2}, 2));
  EXPECT_SAME(F::conv2d(x, w, F::Conv2dFuncOptions().padding({1, 0}).groups(2)),
              conv2d(x, w, std::nullopt, 1, {1, 0}, 1, 2));
  Tensor x1 = sample({2, 4, 9}, kFloat, 4), w1 = sample({3, 4, 2}, kFloat, 5);
  EXPECT_SAME(F::conv1d(x1, w1, F::Conv1dFuncOptions().padding(kValid).stride(2)), conv1d(x1, w1, std::nullopt, 2));
  Tensor wt = sample({4, 3, 3, 3}, kFloat, 6);
  EXPECT_SAME(F::conv_transpose2d(x, wt, F::ConvTranspose2dFuncOptions().stride(2).output_padding(1)),
              conv_transpose2d(x, wt, std::nullopt, 2, 0, 1));
}

TEST(Conv, EmptyBatchAndThreads) {
  Tensor x0 = sample({0, 3, 5, 5}, kFloat, 1), w = sample({4, 3, 3, 3}, kFloat, 2);
  EXPECT_EQ(conv2d(x0, w).sizes(), (std::vector<int64_t>{0, 4, 3, 3}));
  // The per-thread weight-gradient buffers sum to the single-thread result.
  Tensor x = sample({5, 3, 9, 9}, kDouble, 3).requires_grad_(true),
         wd = sample({4, 3, 3, 3}, kDouble, 4).requires_grad_(true);
  const int saved = get_num_threads();
  std::vector<Tensor> grads;
  for (int t : {1, 2}) {
    set_num_threads(t);
    x.mutable_grad() = Tensor();
    wd.mutable_grad() = Tensor();
    conv2d(x, wd, std::nullopt, 1, 1).pow(2).sum().backward();
    grads.push_back(wd.grad());
    grads.push_back(x.grad());
  }
  set_num_threads(saved);
  EXPECT_TRUE(close(grads[0], grads[2]));
  EXPECT_TRUE(close(grads[1], grads[3]));
}

TEST(Conv, GradcheckAndGradgradcheck) {
  using autograd::variable_list;
  auto d = [](IntArrayRef s, int seed) { return sample(s, kDouble, seed).requires_grad_(true); };
  auto c2 = [](const variable_list& v) { return conv2d(v[0], v[1], v[2], {2, 1}, {1, 0}, {1, 2}, 2); };
  EXPECT_TRUE(autograd::gradcheck(c2, {d({2, 4, 5, 6}, 1), d({4, 2, 2, 2}, 2), d({4}, 3)}));
  EXPECT_TRUE(autograd::gradgradcheck(c2, {d({2, 4, 5, 6}, 1), d({4, 2, 2, 2}, 2), d({4}, 3)}));
  auto c2s = [](const variable_list& v) { return conv2d(v[0], v[1], std::nullopt, 1, "same"); };
  EXPECT_TRUE(autograd::gradcheck(c2s, {strided_leaf({1, 2, 4, 5}, kDouble, 4), d({3, 2, 2, 3}, 5)}));
  EXPECT_TRUE(autograd::gradgradcheck(c2s, {strided_leaf({1, 2, 4, 5}, kDouble, 4), d({3, 2, 2, 3}, 5)}));
  auto c1 = [](const variable_list& v) { return conv1d(v[0], v[1], v[2], 2, 1); };
  EXPECT_TRUE(autograd::gradcheck(c1, {d({2, 3, 7}, 6), d({2, 3, 3}, 7), d({2}, 8)}));
  EXPECT_TRUE(autograd::gradgradcheck(c1, {d({2, 3, 7}, 6), d({2, 3, 3}, 7), d({2}, 8)}));
  auto ct = [](const variable_list& v) { return conv_transpose2d(v[0], v[1], v[2], 2, 1, 1, 2, 1); };
  EXPECT_TRUE(autograd::gradcheck(ct, {d({1, 4, 3, 3}, 9), d({4, 1, 3, 3}, 10), d({2}, 11)}));
  EXPECT_TRUE(autograd::gradgradcheck(ct, {d({1, 4, 3, 3}, 9), d({4, 1, 3, 3}, 10), d({2}, 11)}));
  auto cu = [](const variable_list& v) { return conv2d(v[0], v[1], std::nullopt, 1, 1); };
  EXPECT_TRUE(autograd::gradgradcheck(cu, {d({2, 4, 3}, 12), d({2, 2, 3, 3}, 13)}));
}

TEST(Conv, DoubleBackwardNodeMatchesTorch) {
  Tensor x = sample({2, 3, 5, 5}, kDouble, 1).requires_grad_(true);
  Tensor w = sample({4, 3, 3, 3}, kDouble, 2).requires_grad_(true);
  Tensor y = conv2d(x, w, std::nullopt, 1, 1);
  auto gx = autograd::grad({y.pow(2).sum()}, {x}, {}, std::nullopt, true)[0];
  EXPECT_EQ(gx.grad_fn()->name(), "ConvolutionBackwardBackward0");
  auto ggw = autograd::grad({gx.pow(2).sum()}, {w})[0];
  auto r = oracle::run(
      "y = torch.nn.functional.conv2d(x, w, padding=1)\n"
      "gx, = torch.autograd.grad(y.pow(2).sum(), x, create_graph=True)\n"
      "out = (gx, torch.autograd.grad(gx.pow(2).sum(), w)[0])",
      {{"x", x}, {"w", w}});
  EXPECT_TRUE(close(gx, r.tensor(0)));
  EXPECT_TRUE(close(ggw, r.tensor(1)));
}

TEST(Conv, ErrorMessages) {
  Tensor x = sample({2, 3, 8, 8}, kFloat, 1), w = sample({4, 3, 3, 3}, kFloat, 2);
  oracle::Inputs in = {{"x", x}, {"w", w}};
  auto expect = [&](const std::string& py_code, auto&& fn) {
    EXPECT_EQ(error_message(fn), oracle::error_of(py_code, in)) << py_code;
  };
  using F = std::vector<int64_t>;
  expect("torch.conv2d(x, torch.zeros(4, 2, 3, 3))", [&] { conv2d(x, zeros({4, 2, 3, 3})); });
  expect("torch.conv2d(x[0, 0], w)", [&] { conv2d(x.select(0, 0).select(0, 0), w); });
  expect("torch.conv2d(torch.zeros(1, 3, 2, 2), w)", [&] { conv2d(zeros({1, 3, 2, 2}), w); });
  expect("torch.conv2d(x, w, stride=0)", [&] { conv2d(x, w, std::nullopt, 0); });
  expect("torch.conv2d(x, w, padding=-1)", [&] { conv2d(x, w, std::nullopt, 1, -1); });
  expect("torch.conv2d(x, w, dilation=0)", [&] { conv2d(x, w, std::nullopt, 1, 0, 0); });
  expect("torch.conv2d(x, w, groups=0)", [&] { conv2d(x, w, std::nullopt, 1, 0, 1, 0); });
  expect("torch.conv2d(x, torch.zeros(3, 1, 3, 3), torch.zeros(4), groups=3)", [&] {
    conv2d(x, zeros({3, 1, 3, 3}), zeros({4}), 1, 0, 1, 3);
  });
  expect("torch.conv2d(x, torch.zeros(4, 3, 3, 3), groups=2)", [&] {
    conv2d(x, zeros({4, 3, 3, 3}), std::nullopt, 1, 0, 1, 2);
  });
  expect("torch.conv2d(x, torch.zeros(0, 3, 3, 3))", [&] { conv2d(x, zeros({0, 3, 3, 3})); });
  expect("torch.conv2d(x, w.double())", [&] { conv2d(x, w.to(kDouble)); });
  expect("torch.conv2d(x, w, torch.zeros(4).double())", [&] { conv2d(x, w, zeros({4}, kDouble)); });
  expect("torch.conv2d(x, w, torch.zeros(4, 1))", [&] { conv2d(x, w, zeros({4, 1})); });
  expect("torch.conv2d(x, w, stride=2, padding='same')", [&] { conv2d(x, w, std::nullopt, 2, "same"); });
  expect("torch.conv2d(x, w, padding='foo')", [&] { conv2d(x, w, std::nullopt, 1, "foo"); });
  expect("torch.conv2d(x, w, stride=(1, 1, 1))", [&] { conv2d(x, w, std::nullopt, F{1, 1, 1}); });
  expect("torch.nn.functional.conv2d(x, torch.zeros(4, 3, 3))", [&] { nn::functional::conv2d(x, zeros({4, 3, 3})); });
  expect("torch.conv1d(x, w)", [&] { conv1d(x, w); });
  expect("torch.conv_transpose2d(x, torch.zeros(3, 2, 3, 3), output_padding=1)", [&] {
    conv_transpose2d(x, zeros({3, 2, 3, 3}), std::nullopt, 1, 0, 1);
  });
  expect("torch.conv_transpose2d(x, torch.zeros(4, 2, 3, 3))", [&] { conv_transpose2d(x, zeros({4, 2, 3, 3})); });
  expect("torch.conv_transpose2d(x, torch.zeros(3, 2, 3, 3), torch.zeros(3))", [&] {
    conv_transpose2d(x, zeros({3, 2, 3, 3}), zeros({3}));
  });
  expect("torch.conv_transpose2d(x, torch.zeros(3, 2, 3, 3), groups=2)", [&] {
    conv_transpose2d(x, zeros({3, 2, 3, 3}), std::nullopt, 1, 0, 0, 2);
  });
  expect("torch.conv_transpose2d(torch.zeros(1, 3, 1, 1), torch.zeros(3, 2, 3, 3), padding=2)", [&] {
    conv_transpose2d(zeros({1, 3, 1, 1}), zeros({3, 2, 3, 3}), std::nullopt, 1, 2);
  });
  expect("torch.conv_transpose2d(x, torch.zeros(3, 2, 3, 3), output_padding=-1)", [&] {
    conv_transpose2d(x, zeros({3, 2, 3, 3}), std::nullopt, 1, 0, -1);
  });
  expect("torch.conv_transpose2d(x[0, 0], torch.zeros(3, 2, 3, 3))", [&] {
    conv_transpose2d(x.select(0, 0).select(0, 0), zeros({3, 2, 3, 3}));
  });
}
