// torchvision.models.vgg (include/nabla/vision/models.h); construction and initialisation order
// as Note [Initialisation order] (resnet.cpp).
#include "nabla/functions.h"
#include "nabla/nn/init.h"
#include "nabla/nn/modules/activation.h"
#include "nabla/nn/modules/dropout.h"
#include "nabla/vision/models.h"

namespace nabla::vision::models {

namespace {

// torchvision's cfgs: channels of the 3x3 convolutions, 0 for a 2x2 max pooling ("M").
const std::vector<int64_t>& vgg_cfg(const std::string& name) {
  static const std::vector<int64_t> a{64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
  static const std::vector<int64_t> b{64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};
  static const std::vector<int64_t> d{64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
  static const std::vector<int64_t> e{64,  64,  0,   128, 128, 0,   256, 256, 256, 256, 0,
                                      512, 512, 512, 512, 0,   512, 512, 512, 512, 0};
  if (name == "A") return a;
  if (name == "B") return b;
  if (name == "D") return d;
  NABLA_CHECK(name == "E", "unknown VGG configuration '", name, "' (expected A, B, D or E)");
  return e;
}

}  // namespace

nn::Sequential make_layers(const std::string& cfg, bool batch_norm) {
  nn::Sequential layers;
  int64_t in_channels = 3;
  for (int64_t v : vgg_cfg(cfg)) {
    if (v == 0) {
      layers->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
      continue;
    }
    layers->push_back(nn::Conv2d(nn::Conv2dOptions(in_channels, v, 3).padding(1)));
    if (batch_norm) layers->push_back(nn::BatchNorm2d(v));
    layers->push_back(nn::ReLU(true));
    in_channels = v;
  }
  return layers;
}

VGGImpl::VGGImpl(nn::Sequential features_, const VGGOptions& options) {
  register_child("features", features, std::move(features_));
  register_child("avgpool", avgpool, nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({7, 7})));
  nn::Sequential head;
  head->push_back(nn::Linear(512 * 7 * 7, 4096));
  head->push_back(nn::ReLU(true));
  head->push_back(nn::Dropout(nn::DropoutOptions(options.dropout())));
  head->push_back(nn::Linear(4096, 4096));
  head->push_back(nn::ReLU(true));
  head->push_back(nn::Dropout(nn::DropoutOptions(options.dropout())));
  head->push_back(nn::Linear(4096, options.num_classes()));
  register_child("classifier", classifier, head);
  if (!options.init_weights()) return;
  NoGradGuard no_grad;
  apply([](nn::Module& module) {
    if (auto* conv = module.as<nn::Conv2dImpl>()) {
      nn::init::kaiming_normal_(conv->weight, 0, kFanOut, kReLU);
      if (conv->bias.defined()) nn::init::constant_(conv->bias, 0);
    } else if (auto* bn = module.as<nn::BatchNorm2dImpl>()) {
      nn::init::constant_(bn->weight, 1);
      nn::init::constant_(bn->bias, 0);
    } else if (auto* linear = module.as<nn::LinearImpl>()) {
      nn::init::normal_(linear->weight, 0, 0.01);
      nn::init::constant_(linear->bias, 0);
    }
  });
}

Tensor VGGImpl::forward(const Tensor& input) {
  Tensor x = run("avgpool", run("features", input));
  return run("classifier", nabla::flatten(x, 1));
}

VGG vgg11(const VGGOptions& options) { return VGG(make_layers("A", false), options); }
VGG vgg16(const VGGOptions& options) { return VGG(make_layers("D", false), options); }
VGG vgg16_bn(const VGGOptions& options) { return VGG(make_layers("D", true), options); }

}  // namespace nabla::vision::models
