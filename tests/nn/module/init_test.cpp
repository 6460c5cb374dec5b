// nn::init against torch.nn.init: after the same manual_seed, every function fills the same
// values bit for bit (float32 and float64, several shapes and seeds, contiguous or not), and
// the errors and warnings are PyTorch's.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <nabla/nn/init.h>

#include "support/testing.h"

using namespace nabla;
namespace init = nabla::nn::init;
using nabla::testing::error_message;

namespace {

std::string py_shape(IntArrayRef shape) {
  std::string s = "(";
  for (int64_t v : shape) s += std::to_string(v) + ", ";
  return s + ")";
}

std::string py_dtype(ScalarType dt) { return dt == kFloat ? "torch.float32" : "torch.float64"; }

// Runs `fill` on a fresh tensor after manual_seed(seed) in nabla, and `py_call` (with `t` the
// tensor) after torch.manual_seed(seed) in PyTorch; `transposed` fills the transpose of a
// tensor of the reversed shape (a non-contiguous tensor, filled along its memory).
::testing::AssertionResult same_fill(const std::function<void(Tensor)>& fill, const std::string& py_call,
                                     IntArrayRef shape, ScalarType dt, uint64_t seed, bool transposed = false) {
  std::vector<int64_t> rev(shape.begin(), shape.end());
  std::reverse(rev.begin(), rev.end());
  manual_seed(seed);
  std::vector<int64_t> reversed_dims;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) reversed_dims.push_back(d);
  Tensor t = transposed ? empty(rev, dt).permute(reversed_dims) : empty(shape, dt);
  fill(t);
  // Two calls in a row: a cached Box-Muller sample must carry over as in PyTorch.
  Tensor t2 = empty(shape, dt);
  fill(t2);
  const std::string make = transposed ? "torch.empty(" + py_shape(rev) + ", dtype=" + py_dtype(dt) + ").permute" +
                                            py_shape(reversed_dims)
                                      : "torch.empty(" + py_shape(shape) + ", dtype=" + py_dtype(dt) + ")";
  const std::string code = "torch.manual_seed(" + std::to_string(seed) + ")\nt = " + make + "\n" + py_call +
                           "\nr1 = t.clone()\nt = torch.empty(" + py_shape(shape) + ", dtype=" + py_dtype(dt) +
                           ")\n" + py_call + "\nout = (r1, t)";
  auto ref = oracle::run(code);
  if (!ref.ok) return ::testing::AssertionFailure() << ref.error;
  for (int i = 0; i < 2; ++i) {
    const Tensor& mine = i == 0 ? t : t2;
    const Tensor& theirs = ref.outputs[i];
    if (mine.scalar_type() != theirs.scalar_type() || mine.sizes() != theirs.sizes() || !mine.equal(theirs))
      return ::testing::AssertionFailure() << py_call << " shape " << py_shape(shape) << " " << dt << " seed " << seed
                                           << " call " << i << ":\n" << mine << "\nvs\n" << theirs;
  }
  return ::testing::AssertionSuccess();
}

const std::vector<std::vector<int64_t>> kShapes = {{3, 5}, {7, 2}, {4, 3, 2, 2}, {20, 9}, {6, 1, 3}};
const std::vector<uint64_t> kSeeds = {0, 7, 12345};

struct Case {
  std::function<void(Tensor)> fill;
  std::string py;
};

void check_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases)
    for (ScalarType dt : {kFloat, kDouble})
      for (size_t s = 0; s < kShapes.size(); ++s) {
        const uint64_t seed = kSeeds[s % kSeeds.size()];
        EXPECT_TRUE(same_fill(c.fill, c.py, kShapes[s], dt, seed));
        EXPECT_TRUE(same_fill(c.fill, c.py, kShapes[s], dt, seed + 1, /*transposed=*/true));
      }
}

// Collects nabla's warnings for the life of the object.
struct WarningCapture {
  std::vector<std::string> messages;
  WarningHandler prev;
  WarningCapture() : prev(set_warning_handler([this](const std::string& m) { messages.push_back(m); })) {}
  ~WarningCapture() { set_warning_handler(prev); }
};

std::string py_warning(const std::string& call) {
  auto ref = oracle::run("import warnings\nwith warnings.catch_warnings(record=True) as w:\n"
                         "    warnings.simplefilter('always')\n    " + call + "\nout = str(w[0].message)");
  EXPECT_TRUE(ref.ok) << ref.error;
  return ref.ok ? ref.strings.at(0) : "";
}

}  // namespace

TEST(Init, UniformAndNormalBitExact) {
  check_cases({
      {[](Tensor t) { init::uniform_(t); }, "torch.nn.init.uniform_(t)"},
      {[](Tensor t) { init::uniform_(t, -0.3, 2.5); }, "torch.nn.init.uniform_(t, -0.3, 2.5)"},
      {[](Tensor t) { init::normal_(t); }, "torch.nn.init.normal_(t)"},
      {[](Tensor t) { init::normal_(t, 0.5, 0.02); }, "torch.nn.init.normal_(t, 0.5, 0.02)"},
  });
}

TEST(Init, TruncNormalBitExact) {
  check_cases({
      {[](Tensor t) { init::trunc_normal_(t); }, "torch.nn.init.trunc_normal_(t)"},
      {[](Tensor t) { init::trunc_normal_(t, 0.1, 0.02); }, "torch.nn.init.trunc_normal_(t, 0.1, 0.02)"},
      {[](Tensor t) { init::trunc_normal_(t, 0.0, 1.0, -0.5, 3.0); },
       "torch.nn.init.trunc_normal_(t, 0.0, 1.0, -0.5, 3.0)"},
  });
}

TEST(Init, TruncNormalLargeTensorsAndTails) {
  // Many samples, with bounds far in the tails (erfinv's outer branch and its Newton steps).
  for (ScalarType dt : {kFloat, kDouble}) {
    EXPECT_TRUE(same_fill([](Tensor t) { init::trunc_normal_(t, 0, 1, -4, 4); },
                          "torch.nn.init.trunc_normal_(t, 0, 1, -4, 4)", {300, 200}, dt, 3));
    EXPECT_TRUE(same_fill([](Tensor t) { init::trunc_normal_(t, 0, 1, 1.5, 5); },
                          "torch.nn.init.trunc_normal_(t, 0, 1, 1.5, 5)", {100, 50}, dt, 4));
  }
}

TEST(Init, XavierBitExact) {
  check_cases({
      {[](Tensor t) { init::xavier_uniform_(t); }, "torch.nn.init.xavier_uniform_(t)"},
      {[](Tensor t) { init::xavier_uniform_(t, 1.7); }, "torch.nn.init.xavier_uniform_(t, 1.7)"},
      {[](Tensor t) { init::xavier_normal_(t); }, "torch.nn.init.xavier_normal_(t)"},
      {[](Tensor t) { init::xavier_normal_(t, 0.3); }, "torch.nn.init.xavier_normal_(t, 0.3)"},
  });
}

TEST(Init, KaimingBitExact) {
  check_cases({
      {[](Tensor t) { init::kaiming_uniform_(t); }, "torch.nn.init.kaiming_uniform_(t)"},
      {[](Tensor t) { init::kaiming_uniform_(t, std::sqrt(5.0)); },
       "torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5))"},
      {[](Tensor t) { init::kaiming_uniform_(t, 0, kFanOut, kReLU); },
       "torch.nn.init.kaiming_uniform_(t, 0, 'fan_out', 'relu')"},
      {[](Tensor t) { init::kaiming_normal_(t); }, "torch.nn.init.kaiming_normal_(t)"},
      {[](Tensor t) { init::kaiming_normal_(t, 0.2, kFanOut, kLeakyReLU); },
       "torch.nn.init.kaiming_normal_(t, 0.2, 'fan_out', 'leaky_relu')"},
      {[](Tensor t) { init::kaiming_normal_(t, 0, kFanIn, kTanh); },
       "torch.nn.init.kaiming_normal_(t, 0, 'fan_in', 'tanh')"},
  });
}

TEST(Init, LargeLayerWeightsBitExact) {
  EXPECT_TRUE(same_fill([](Tensor t) { init::kaiming_uniform_(t, std::sqrt(5.0)); },
                        "torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5))", {256, 784}, kFloat, 0));
  EXPECT_TRUE(same_fill([](Tensor t) { init::kaiming_normal_(t, 0, kFanOut, kReLU); },
                        "torch.nn.init.kaiming_normal_(t, 0, 'fan_out', 'relu')", {64, 32, 3, 3}, kFloat, 1));
}

TEST(Init, ConstantsEyeDirac) {
  check_cases({
      {[](Tensor t) { init::constant_(t, 0.25); }, "torch.nn.init.constant_(t, 0.25)"},
      {[](Tensor t) { init::zeros_(t); }, "torch.nn.init.zeros_(t)"},
      {[](Tensor t) { init::ones_(t); }, "torch.nn.init.ones_(t)"},
  });
  for (auto shape : std::vector<std::vector<int64_t>>{{3, 5}, {5, 3}, {4, 4}})
    for (ScalarType dt : {kFloat, kDouble})
      EXPECT_TRUE(same_fill([](Tensor t) { init::eye_(t); }, "torch.nn.init.eye_(t)", shape, dt, 0));
  for (auto shape : std::vector<std::vector<int64_t>>{{4, 2, 3}, {6, 3, 3, 3}, {4, 4, 3, 2, 5}, {2, 5, 3, 3}})
    for (int64_t groups : {1, 2})
      EXPECT_TRUE(same_fill([groups](Tensor t) { init::dirac_(t, groups); },
                            "torch.nn.init.dirac_(t, " + std::to_string(groups) + ")", shape, kFloat, 0));
}

TEST(Init, InitKeepsRequiresGradAndRecordsNoHistory) {
  Tensor w = empty({4, 3}).requires_grad_();
  for (const auto& f : std::vector<std::function<void(Tensor)>>{
           [](Tensor t) { init::uniform_(t); }, [](Tensor t) { init::normal_(t); },
           [](Tensor t) { init::trunc_normal_(t); }, [](Tensor t) { init::xavier_uniform_(t); },
           [](Tensor t) { init::kaiming_normal_(t); }, [](Tensor t) { init::eye_(t); },
           [](Tensor t) { init::constant_(t, 2); }}) {
    f(w);
    EXPECT_TRUE(w.requires_grad());
    EXPECT_TRUE(w.is_leaf());
    EXPECT_EQ(w.grad_fn(), nullptr);
  }
  // The returned tensor is the same tensor.
  EXPECT_TRUE(init::zeros_(w).is_same(w));
}

TEST(Init, FanAndGain) {
  for (auto shape : std::vector<std::vector<int64_t>>{{3, 5}, {4, 3, 2, 2}, {8, 2, 3}, {2, 3, 1, 4, 5}}) {
    auto [fi, fo] = init::_calculate_fan_in_and_fan_out(nabla::empty(shape));
    auto ref = oracle::run("out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty" + py_shape(shape) + ")");
    ASSERT_TRUE(ref.ok) << ref.error;
    EXPECT_EQ(fi, ref.outputs[0].item<int64_t>());
    EXPECT_EQ(fo, ref.outputs[1].item<int64_t>());
  }
  const std::vector<std::pair<Nonlinearity, std::string>> names = {
      {kLinear, "linear"}, {kConv1D, "conv1d"}, {kConv2D, "conv2d"}, {kConv3D, "conv3d"},
      {kConvTranspose1D, "conv_transpose1d"}, {kConvTranspose2D, "conv_transpose2d"},
      {kConvTranspose3D, "conv_transpose3d"}, {kSigmoid, "sigmoid"}, {kTanh, "tanh"}, {kReLU, "relu"},
      {kLeakyReLU, "leaky_relu"}, {kSELU, "selu"}};
  for (const auto& [n, py] : names) {
    auto ref = oracle::run("out = float(torch.nn.init.calculate_gain('" + py + "'))");
    ASSERT_TRUE(ref.ok) << ref.error;
    EXPECT_EQ(init::calculate_gain(n), ref.outputs[0].item<double>()) << py;
  }
  auto ref = oracle::run("out = float(torch.nn.init.calculate_gain('leaky_relu', 0.2))");
  EXPECT_EQ(init::calculate_gain(kLeakyReLU, 0.2), ref.outputs.at(0).item<double>());
}

TEST(Init, Errors) {
  const std::string fan = oracle::error_of("torch.nn.init.xavier_uniform_(torch.empty(5))");
  EXPECT_EQ(error_message([] { init::xavier_uniform_(empty({5})); }), fan);
  EXPECT_EQ(error_message([] { init::xavier_normal_(empty({})); }), fan);
  EXPECT_EQ(error_message([] { init::kaiming_uniform_(empty({5})); }),
            oracle::error_of("torch.nn.init.kaiming_uniform_(torch.empty(5))"));
  EXPECT_EQ(error_message([] { init::kaiming_normal_(empty({5})); }),
            oracle::error_of("torch.nn.init.kaiming_normal_(torch.empty(5))"));
  EXPECT_EQ(error_message([] { init::_calculate_fan_in_and_fan_out(empty({5})); }),
            oracle::error_of("torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(5))"));
  EXPECT_EQ(error_message([] { init::eye_(empty({2, 2, 2})); }),
            oracle::error_of("torch.nn.init.eye_(torch.empty(2, 2, 2))"));
  EXPECT_EQ(error_message([] { init::dirac_(empty({2, 2})); }),
            oracle::error_of("torch.nn.init.dirac_(torch.empty(2, 2))"));
  EXPECT_EQ(error_message([] { init::dirac_(empty({5, 2, 3}), 2); }),
            oracle::error_of("torch.nn.init.dirac_(torch.empty(5, 2, 3), 2)"));
  EXPECT_EQ(error_message([] { init::uniform_(empty({2}), 1, 0); }),
            oracle::error_of("torch.nn.init.uniform_(torch.empty(2), 1, 0)"));
  EXPECT_EQ(error_message([] { init::normal_(empty({2}), 0, -1); }),
            oracle::error_of("torch.nn.init.normal_(torch.empty(2), 0, -1)"));
}

TEST(Init, Warnings) {
  {
    WarningCapture w;
    Tensor e = empty({0, 3});
    init::kaiming_uniform_(e);
    init::kaiming_normal_(empty({0}));
    ASSERT_EQ(w.messages.size(), 2u);
    EXPECT_EQ(w.messages[0], py_warning("torch.nn.init.kaiming_uniform_(torch.empty(0, 3))"));
    EXPECT_EQ(w.messages[1], py_warning("torch.nn.init.kaiming_normal_(torch.empty(0))"));
  }
  {
    WarningCapture w;
    manual_seed(0);
    Tensor t = empty({4});
    init::trunc_normal_(t, 5, 1, -2, 2);
    ASSERT_EQ(w.messages.size(), 1u);
    EXPECT_EQ(w.messages[0], py_warning("torch.nn.init.trunc_normal_(torch.empty(4), 5, 1, -2, 2)"));
    auto ref = oracle::run("import warnings\ntorch.manual_seed(0)\nt = torch.empty(4)\n"
                           "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n"
                           "    torch.nn.init.trunc_normal_(t, 5, 1, -2, 2)\nout = t");
    EXPECT_TRUE(t.equal(ref.tensor()));
  }
}
