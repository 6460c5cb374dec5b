// The scenario: build a PyTorch-style CNN as a Sequential, drop its last Linear with
// slicing (Python's model[:-1]) and get the features; compare with PyTorch running the same
// model with the same weights.
#include <sstream>
#include <string>

#include <nabla/nn/modules/activation.h>
#include <nabla/nn/modules/container.h>
#include <nabla/nn/modules/conv.h>
#include <nabla/nn/modules/linear.h>
#include <nabla/nn/modules/pooling.h>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

// Braces: the layers are constructed left to right (drawing their initial weights in
// PyTorch's order), which C++ guarantees for a braced list but not for parenthesised arguments.
nn::Sequential lenet() {
  return nn::Sequential{nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Conv2d(6, 16, 5), nn::ReLU(), nn::MaxPool2d(2), nn::Flatten(),
                        nn::Linear(16 * 5 * 5, 120), nn::ReLU(), nn::Linear(120, 84), nn::ReLU(),
                        nn::Linear(84, 10)};
}

const char* kPyLenet =
    "nn = torch.nn\n"
    "model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),\n"
    "                      nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),\n"
    "                      nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),\n"
    "                      nn.Linear(84, 10))\n";

std::string repr(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

}  // namespace

TEST(CnnFeatures, SliceOffTheClassifierAndGetFeatures) {
  manual_seed(0);
  nn::Sequential model = lenet();
  auto features = model->slice(std::nullopt, -1);
  ASSERT_EQ(features->size(), model->size() - 1);

  // Same weights in PyTorch: nabla's state_dict loaded into the torch model.
  Tensor x = sample({4, 1, 28, 28}, kFloat, 3);
  oracle::Inputs in = {{"x", x}};
  std::string load = std::string(kPyLenet) + "sd = model.state_dict()\nwith torch.no_grad():\n";
  for (const auto& item : model->state_dict()) {
    std::string name = "w";
    name += std::to_string(in.size());
    in.push_back({name, item.value()});
    load += "    sd['" + item.key() + "'].copy_(" + name + ")\n";
  }
  auto ref = oracle::run(load +
                             "features = model[:-1]\n"
                             "f = features(x)\n"
                             "out = (f, model(x), ','.join(features.state_dict().keys()), repr(features), repr(model))",
                         in);
  ASSERT_TRUE(ref.ok) << ref.error;

  Tensor f = features->forward(x);
  EXPECT_EQ(f.sizes(), IntArrayRef({4, 84}));
  EXPECT_TRUE(same(f, ref.outputs[0], 1e-4, 1e-5));
  EXPECT_TRUE(same(model(x), ref.outputs[1], 1e-4, 1e-5));
  // The features come from the same layers: the classifier applied to them gives the output.
  EXPECT_TRUE(same(model->at<nn::LinearImpl>(-1).forward(f), model(x), 1e-6, 1e-6));

  std::string keys;
  for (const auto& k : features->state_dict().keys()) keys += (keys.empty() ? "" : ",") + k;
  EXPECT_EQ(keys, ref.strings.at(2));
  EXPECT_EQ(repr(*features), ref.strings.at(3));
  EXPECT_EQ(repr(*model), ref.strings.at(4));

  // Gradients reach the convolutions through the sliced model.
  features->forward(x).sum().backward();
  EXPECT_TRUE(model->at<nn::Conv2dImpl>(0).weight.grad().defined());
  EXPECT_FALSE(model->at<nn::LinearImpl>(-1).weight.grad().defined());
}

TEST(CnnFeatures, DefaultInitialisationIsPyTorchs) {
  manual_seed(0);
  nn::Sequential model = lenet();
  // Appended piece by piece: GCC 12 reports a false -Warray-bounds for std::string(...) + ... here.
  std::string code = "torch.manual_seed(0)\n";
  code += kPyLenet;
  code += "out = tuple(model.state_dict().values())";
  auto ref = oracle::run(code);
  ASSERT_TRUE(ref.ok) << ref.error;
  auto sd = model->state_dict();
  ASSERT_EQ(sd.size(), ref.outputs.size());
  for (size_t i = 0; i < sd.size(); ++i) EXPECT_TRUE(sd[i].value().equal(ref.outputs[i])) << sd[i].key();
}
