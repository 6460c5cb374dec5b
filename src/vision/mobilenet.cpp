// torchvision.models.mobilenetv2 (include/nabla/vision/models.h); construction and
// initialisation order as Note [Initialisation order] (resnet.cpp).
#include <algorithm>
#include <cmath>

#include "nabla/functions.h"
#include "nabla/nn/functional/pooling.h"
#include "nabla/nn/init.h"
#include "nabla/nn/modules/dropout.h"
#include "nabla/vision/models.h"
#include "vision/make_divisible.h"

namespace nabla::vision::models {

InvertedResidualImpl::InvertedResidualImpl(int64_t inp, int64_t oup, int64_t stride_, int64_t expand_ratio)
    : stride(stride_), out_channels(oup) {
  NABLA_CHECK(stride == 1 || stride == 2, "stride should be 1 or 2 insted of ", stride);
  const auto hidden_dim = static_cast<int64_t>(std::nearbyint(static_cast<double>(inp * expand_ratio)));
  use_res_connect = stride == 1 && inp == oup;
  nn::Sequential layers;
  if (expand_ratio != 1)
    layers->push_back(ops::Conv2dNormActivation(
        ops::Conv2dNormActivationOptions(inp, hidden_dim, 1).activation_layer(ops::relu6_layer)));
  layers->push_back(ops::Conv2dNormActivation(ops::Conv2dNormActivationOptions(hidden_dim, hidden_dim)
                                                  .stride(stride)
                                                  .groups(hidden_dim)
                                                  .activation_layer(ops::relu6_layer)));
  layers->push_back(nn::Conv2d(nn::Conv2dOptions(hidden_dim, oup, 1).stride(1).padding(0).bias(false)));
  layers->push_back(nn::BatchNorm2d(oup));
  register_child("conv", conv, layers);
}

Tensor InvertedResidualImpl::forward(const Tensor& x) { return use_res_connect ? x + run("conv", x) : run("conv", x); }

MobileNetV2Impl::MobileNetV2Impl(const MobileNetV2Options& options) {
  std::vector<std::array<int64_t, 4>> setting = options.inverted_residual_setting();
  if (setting.empty())
    setting = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
               {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  const double width_mult = options.width_mult();
  const int64_t round_nearest = options.round_nearest();
  int64_t input_channel = detail::make_divisible(32 * width_mult, round_nearest);
  last_channel = detail::make_divisible(1280 * std::max(1.0, width_mult), round_nearest);

  nn::Sequential feats;
  feats->push_back(ops::Conv2dNormActivation(
      ops::Conv2dNormActivationOptions(3, input_channel).stride(2).activation_layer(ops::relu6_layer)));
  for (const auto& [t, c, n, s] : setting) {
    const int64_t output_channel = detail::make_divisible(static_cast<double>(c) * width_mult, round_nearest);
    for (int64_t i = 0; i < n; ++i) {
      feats->push_back(InvertedResidual(input_channel, output_channel, i == 0 ? s : 1, t));
      input_channel = output_channel;
    }
  }
  feats->push_back(ops::Conv2dNormActivation(
      ops::Conv2dNormActivationOptions(input_channel, last_channel, 1).activation_layer(ops::relu6_layer)));
  register_child("features", features, feats);

  nn::Sequential head;
  head->push_back(nn::Dropout(nn::DropoutOptions(options.dropout())));
  head->push_back(nn::Linear(last_channel, options.num_classes()));
  register_child("classifier", classifier, head);

  NoGradGuard no_grad;
  apply([](nn::Module& module) {
    if (auto* conv2d = module.as<nn::Conv2dImpl>()) {
      nn::init::kaiming_normal_(conv2d->weight, 0, kFanOut);
      if (conv2d->bias.defined()) nn::init::zeros_(conv2d->bias);
    } else if (auto* bn = module.as<nn::BatchNorm2dImpl>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    } else if (auto* linear = module.as<nn::LinearImpl>()) {
      nn::init::normal_(linear->weight, 0, 0.01);
      nn::init::zeros_(linear->bias);
    }
  });
}

Tensor MobileNetV2Impl::forward(const Tensor& input) {
  Tensor x = run("features", input);
  x = nn::functional::adaptive_avg_pool2d(x, nn::functional::AdaptiveAvgPool2dFuncOptions({1, 1}));
  return run("classifier", nabla::flatten(x, 1));
}

MobileNetV2 mobilenet_v2(const MobileNetV2Options& options) { return MobileNetV2(options); }

}  // namespace nabla::vision::models
