// torchvision.ops pieces of the models: stochastic_depth against torchvision's (same seed, same
// mask), Conv2dNormActivation's layers, SqueezeExcitation's forward.
#include <nabla/vision.h>

#include "vision/vision_testing.h"

using namespace nabla;
namespace ops = nabla::vision::ops;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;
using nabla::vision_testing::run_ref;

TEST(Ops, StochasticDepthDrawsTorchvisionsMask) {
  Tensor x = sample({6, 3, 2, 2});
  for (const char* mode : {"row", "batch"}) {
    for (double p : {0.0, 0.3, 1.0}) {
      const std::string args = std::to_string(p) + ", '" + mode + "'";
      auto ref =
          run_ref("torch.manual_seed(5)\nout = torchvision.ops.stochastic_depth(x, " + args + ", True)", {{"x", x}});
      ASSERT_TRUE(ref.ok) << ref.error;
      manual_seed(5);
      EXPECT_TRUE(same(ops::stochastic_depth(x, p, mode, true), ref.tensor())) << args;
    }
  }
  // Not training: the input itself.
  EXPECT_TRUE(ops::stochastic_depth(x, 0.5, "row", false).is_same(x));
  ops::StochasticDepth sd(0.5, "row");
  sd->eval();
  EXPECT_TRUE(sd(x).is_same(x));
  std::ostringstream os;
  os << *sd;
  EXPECT_EQ(os.str(), run_ref("out = repr(torchvision.ops.StochasticDepth(0.5, 'row'))").strings.at(0));
  EXPECT_EQ(error_message([&] { ops::stochastic_depth(x, 1.5, "row"); }),
            oracle::error_of("import torchvision\ntorchvision.ops.stochastic_depth(torch.ones(2), 1.5, 'row')"));
  EXPECT_EQ(error_message([&] { ops::stochastic_depth(x, 0.5, "col"); }),
            oracle::error_of("import torchvision\ntorchvision.ops.stochastic_depth(torch.ones(2), 0.5, 'col')"));
}

TEST(Ops, Conv2dNormActivationAndSqueezeExcitationMatchTorchvision) {
  manual_seed(3);
  ops::Conv2dNormActivation block(ops::Conv2dNormActivationOptions(3, 8).stride(2).activation_layer(ops::relu6_layer));
  ops::SqueezeExcitation se(8, 2);
  std::ostringstream os;
  os << *block;
  auto ref = run_ref(
      "torch.manual_seed(3)\n"
      "b = torchvision.ops.Conv2dNormActivation(3, 8, stride=2, activation_layer=torch.nn.ReLU6)\n"
      "se = torchvision.ops.SqueezeExcitation(8, 2)\n"
      "b.eval()\n"
      "with torch.no_grad(): y = se(b(x))\n"
      "out = [repr(b), ','.join(b.state_dict().keys()) + ';' + ','.join(se.state_dict().keys()), y]",
      {{"x", sample({2, 3, 9, 9})}});
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_EQ(os.str(), ref.strings.at(0));
  std::string keys;
  for (const auto& k : block->state_dict().keys()) keys += (keys.empty() ? "" : ",") + k;
  keys += ";";
  bool first = true;
  for (const auto& k : se->state_dict().keys()) keys += (first ? "" : ",") + k, first = false;
  EXPECT_EQ(keys, ref.strings.at(1));
  NoGradGuard no_grad;
  block->eval();
  EXPECT_TRUE(nabla::testing::close_values(se(block(sample({2, 3, 9, 9}))), ref.tensor(2)));
}
