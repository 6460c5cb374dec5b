// torchvision's models against torchvision: module trees (state_dict keys, shapes, order),
// initialisation after manual_seed (bit for bit, by CRC-32 of every tensor), eval-mode outputs
// with the same weights (torchvision's state_dict as torch.save wrote it, read by torch_load),
// features after replacing the last layer, replace_module.
#include <nabla/data/npy.h>
#include <nabla/vision.h>

#include <sstream>
#include <thread>

#include "io/bytes.h"
#include "vision/vision_testing.h"

using namespace nabla;
namespace models = nabla::vision::models;
using nabla::testing::close_values;
using nabla::testing::error_message;
using nabla::vision_testing::py_str;
using nabla::vision_testing::run_ref;
using nabla::vision_testing::temp_dir;

namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::vector<std::string> split(const std::string& s, char sep = ',') {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

std::string shapes_of(const OrderedDict<std::string, Tensor>& state) {
  std::vector<std::string> shapes;
  for (const auto& item : state) {
    std::vector<std::string> dims;
    for (int64_t d : item.value().sizes()) dims.push_back(std::to_string(d));
    shapes.push_back(join(dims));
  }
  return join(shapes, ";");
}

uint32_t crc_of(const Tensor& t0) {
  Tensor t = t0.detach().contiguous();
  return io::crc32(static_cast<const uint8_t*>(t.data_ptr()), t.nbytes());
}

// The keys whose tensors differ (by CRC-32) from torchvision's.
std::vector<std::string> differing(const OrderedDict<std::string, Tensor>& state, const std::string& ref_crcs) {
  const auto crcs = split(ref_crcs);
  std::vector<std::string> out;
  size_t i = 0;
  for (const auto& item : state) {
    if (i >= crcs.size() || crc_of(item.value()) != std::stoul(crcs[i])) out.push_back(item.key());
    ++i;
  }
  return out;
}

// Outputs agree to 1e-4 of their magnitude.
::testing::AssertionResult close_to(const Tensor& actual, const Tensor& expected) {
  const double scale = std::max(1.0, expected.abs().max().item<double>());
  return close_values(actual, expected, 1e-4, 1e-4 * scale);
}

template <typename Holder>
void check_model(const std::string& name, int64_t seed, int64_t num_classes, std::vector<int64_t> input_shape,
                 const std::string& last, const std::function<Holder()>& make, const std::string& kwargs = "") {
  const std::string path = temp_dir() + "/" + name + ".pth";
  std::string shape = "[";
  for (size_t i = 0; i < input_shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(input_shape[i]);
  shape += "]";
  // torchvision builds its model while nabla builds this one (the largest take seconds each).
  oracle::Result ref;
  std::thread python([&] {
    ref =
        run_ref("out = vision_ref.model_case(" + py_str(name) + ", " + std::to_string(seed) + ", " +
                std::to_string(num_classes) + ", " + shape + ", " + py_str(last) + ", " + py_str(path) + kwargs + ")");
  });
  manual_seed(static_cast<uint64_t>(seed));
  Holder model = make();
  python.join();
  ASSERT_TRUE(ref.ok) << ref.error;
  // The module tree: keys, shapes and order of the state, the parameters and the buffers.
  const auto state = model->state_dict();
  EXPECT_EQ(join(state.keys()), ref.strings.at(0)) << name;
  EXPECT_EQ(shapes_of(state), ref.strings.at(1)) << name;
  EXPECT_EQ(join(model->named_parameters().keys()), ref.strings.at(2)) << name;
  EXPECT_EQ(join(model->named_buffers().keys()), ref.strings.at(3)) << name;
  // Printed as Python prints it (EfficientNet aside: torchvision's SiLU(inplace=True) is a
  // SiLU() here, libtorch's SiLU having no inplace option).
  if (name != "efficientnet_b0") {
    std::ostringstream printed;
    printed << *model;
    EXPECT_EQ(printed.str(), ref.strings.at(6)) << name;
  }
  // The initialisation, bit for bit.
  EXPECT_EQ(join(differing(state, ref.strings.at(5))), "") << name << ": initial values differ from torchvision's";

  // torchvision's weights and BatchNorm statistics (the largest matrices, left out of the file,
  // are the ones both built from the same seed).
  OrderedDict<std::string, Tensor> weights;
  Tensor x, expected, expected_features;
  for (auto& [key, t] : to_state_dict(torch_load(path)).pairs()) {
    if (key == "__input")
      x = t;
    else if (key == "__output")
      expected = t;
    else if (key == "__features")
      expected_features = t;
    else
      weights.insert(key, t);
  }
  const nn::IncompatibleKeys loaded = model->load_state_dict(weights, /*strict=*/false);
  EXPECT_EQ(join(loaded.missing_keys), ref.strings.at(4)) << name;
  EXPECT_EQ(join(loaded.unexpected_keys), "") << name;

  NoGradGuard no_grad;
  model->eval();
  EXPECT_TRUE(close_to(model->forward(x), expected)) << name;
  model->replace_module(last, nn::Identity());
  EXPECT_TRUE(close_to(model->forward(x), expected_features)) << name;
}

}  // namespace

TEST(Models, ResNet18) {
  check_model<models::ResNet>("resnet18", 0, 1000, {2, 3, 64, 64}, "fc", [] { return models::resnet18(); });
}
TEST(Models, ResNet34) {
  check_model<models::ResNet>("resnet34", 1, 10, {2, 3, 64, 64}, "fc", [] { return models::resnet34(10); });
}
TEST(Models, ResNet50) {
  check_model<models::ResNet>("resnet50", 2, 10, {2, 3, 64, 64}, "fc", [] { return models::resnet50(10); });
}
TEST(Models, MobileNetV2) {
  check_model<models::MobileNetV2>("mobilenet_v2", 3, 1000, {2, 3, 64, 64}, "classifier",
                                   [] { return models::mobilenet_v2(); });
}
TEST(Models, VGG11) {
  check_model<models::VGG>("vgg11", 4, 10, {2, 3, 32, 32}, "classifier", [] { return models::vgg11(10); });
}
// VGG-16's layers keep their default initialisation here (init_weights=False), which is
// compared bit for bit too: the 100M-weight classifier's torchvision initialisation is checked
// once, on VGG-11, and takes seconds per model.
TEST(Models, VGG16) {
  check_model<models::VGG>(
      "vgg16", 5, 10, {2, 3, 32, 32}, "classifier",
      [] { return models::vgg16(models::VGGOptions(10).init_weights(false)); }, ", init_weights=False");
}
TEST(Models, VGG16BN) {
  check_model<models::VGG>(
      "vgg16_bn", 6, 10, {2, 3, 32, 32}, "classifier",
      [] { return models::vgg16_bn(models::VGGOptions(10).init_weights(false)); }, ", init_weights=False");
}
TEST(Models, EfficientNetB0) {
  check_model<models::EfficientNet>("efficientnet_b0", 7, 10, {2, 3, 32, 32}, "classifier",
                                    [] { return models::efficientnet_b0(10); });
}

TEST(Models, OptionsChangeTheTreeAndInitialisationAsTorchvision) {
  auto check = [](const std::string& call, auto model) {
    auto ref = run_ref("out = vision_ref.init_crcs(" + call + ")");
    ASSERT_TRUE(ref.ok) << ref.error;
    const auto state = model->state_dict();
    EXPECT_EQ(join(state.keys()), ref.strings.at(0)) << call;
    EXPECT_EQ(join(differing(state, ref.strings.at(1))), "") << call;
  };
  manual_seed(11);
  check("'resnet18', 11, num_classes=5, zero_init_residual=True",
        models::resnet18(models::ResNetOptions(5).zero_init_residual(true)));
  manual_seed(12);
  check("'mobilenet_v2', 12, num_classes=4, width_mult=0.5",
        models::mobilenet_v2(models::MobileNetV2Options(4).width_mult(0.5)));
}

TEST(Models, ReplaceModuleChangesForward) {
  NoGradGuard no_grad;
  auto model = models::resnet18();
  model->eval();
  Tensor x = nabla::testing::sample({1, 3, 32, 32});
  EXPECT_EQ(model->forward(x).sizes(), (std::vector<int64_t>{1, 1000}));
  // Python's model.fc = nn.Linear(512, 7): the typed member follows the new module.
  nn::Linear head(512, 7);
  model->replace_module("fc", head);
  EXPECT_EQ(model->fc.get(), head.get());
  EXPECT_EQ(model->named_children()["fc"].get(), head.get());
  EXPECT_EQ(model->forward(x).sizes(), (std::vector<int64_t>{1, 7}));
  // nn.Identity() is no Linear: the member is emptied, forward gives the features.
  model->replace_module("fc", nn::Identity());
  EXPECT_TRUE(model->fc.is_empty());
  EXPECT_EQ(model->forward(x).sizes(), (std::vector<int64_t>{1, 512}));
  EXPECT_EQ(error_message([&] { model->replace_module("head", nn::Identity()); }), "Submodule 'head' is not defined");
  // Inside a block and inside a Sequential (model.layer4[1] = nn.Identity()).
  Tensor before = model->forward(x);
  model->layer4->replace_module("1", nn::Identity());
  EXPECT_FALSE(close_values(model->forward(x), before));

  // MobileNetV2's classifier, replaced layer by layer.
  auto mobile = models::mobilenet_v2(10);
  mobile->eval();
  mobile->classifier->replace_module("1", nn::Linear(1280, 3));
  EXPECT_EQ(mobile->forward(x).sizes(), (std::vector<int64_t>{1, 3}));
  mobile->replace_module("classifier", nn::Identity());
  EXPECT_TRUE(mobile->classifier.is_empty());
  EXPECT_EQ(mobile->forward(x).sizes(), (std::vector<int64_t>{1, 1280}));
}
