// torchvision.models.efficientnet, B0 (include/nabla/vision/models.h); construction and
// initialisation order as Note [Initialisation order] (resnet.cpp).
#include <cmath>

#include "nabla/functions.h"
#include "nabla/nn/init.h"
#include "nabla/nn/modules/dropout.h"
#include "nabla/vision/models.h"
#include "vision/make_divisible.h"

namespace nabla::vision::models {

MBConvConfig MBConvConfig::make(double expand_ratio, int64_t kernel, int64_t stride, int64_t input_channels,
                                int64_t out_channels, int64_t num_layers, double width_mult, double depth_mult) {
  return MBConvConfig{expand_ratio,
                      kernel,
                      stride,
                      detail::make_divisible(static_cast<double>(input_channels) * width_mult, 8),
                      detail::make_divisible(static_cast<double>(out_channels) * width_mult, 8),
                      static_cast<int64_t>(std::ceil(static_cast<double>(num_layers) * depth_mult))};
}

MBConvImpl::MBConvImpl(const MBConvConfig& cnf, double stochastic_depth_prob) : out_channels(cnf.out_channels) {
  NABLA_CHECK(cnf.stride >= 1 && cnf.stride <= 2, "illegal stride value");
  use_res_connect = cnf.stride == 1 && cnf.input_channels == cnf.out_channels;
  nn::Sequential layers;
  const int64_t expanded = detail::make_divisible(static_cast<double>(cnf.input_channels) * cnf.expand_ratio, 8);
  if (expanded != cnf.input_channels)
    layers->push_back(ops::Conv2dNormActivation(
        ops::Conv2dNormActivationOptions(cnf.input_channels, expanded, 1).activation_layer(ops::silu_layer)));
  layers->push_back(ops::Conv2dNormActivation(ops::Conv2dNormActivationOptions(expanded, expanded, cnf.kernel)
                                                  .stride(cnf.stride)
                                                  .groups(expanded)
                                                  .activation_layer(ops::silu_layer)));
  const int64_t squeeze_channels = std::max<int64_t>(1, cnf.input_channels / 4);
  layers->push_back(ops::SqueezeExcitation(expanded, squeeze_channels, ops::silu_layer));
  layers->push_back(ops::Conv2dNormActivation(
      ops::Conv2dNormActivationOptions(expanded, cnf.out_channels, 1).activation_layer(nullptr)));
  register_child("block", block, layers);
  register_child("stochastic_depth", stochastic_depth, ops::StochasticDepth(stochastic_depth_prob, "row"));
}

Tensor MBConvImpl::forward(const Tensor& input) {
  Tensor result = run("block", input);
  if (use_res_connect) {
    result = run("stochastic_depth", result);
    result += input;
  }
  return result;
}

EfficientNetImpl::EfficientNetImpl(const std::vector<MBConvConfig>& setting, double dropout,
                                   const EfficientNetOptions& options) {
  NABLA_CHECK(!setting.empty(), "The inverted_residual_setting should not be empty");
  nn::Sequential layers;
  layers->push_back(ops::Conv2dNormActivation(
      ops::Conv2dNormActivationOptions(3, setting.front().input_channels).stride(2).activation_layer(ops::silu_layer)));
  int64_t total_stage_blocks = 0;
  for (const auto& cnf : setting) total_stage_blocks += cnf.num_layers;
  int64_t stage_block_id = 0;
  for (const auto& cnf : setting) {
    nn::Sequential stage;
    for (int64_t i = 0; i < cnf.num_layers; ++i) {
      MBConvConfig block_cnf = cnf;
      if (i > 0) {
        block_cnf.input_channels = block_cnf.out_channels;
        block_cnf.stride = 1;
      }
      const double sd_prob = options.stochastic_depth_prob() * static_cast<double>(stage_block_id) /
                             static_cast<double>(total_stage_blocks);
      stage->push_back(MBConv(block_cnf, sd_prob));
      ++stage_block_id;
    }
    layers->push_back(stage);
  }
  const int64_t lastconv_input = setting.back().out_channels;
  const int64_t lastconv_output = 4 * lastconv_input;
  layers->push_back(ops::Conv2dNormActivation(
      ops::Conv2dNormActivationOptions(lastconv_input, lastconv_output, 1).activation_layer(ops::silu_layer)));
  register_child("features", features, layers);
  register_child("avgpool", avgpool, nn::AdaptiveAvgPool2d(1));
  nn::Sequential head;
  head->push_back(nn::Dropout(nn::DropoutOptions(dropout).inplace(true)));
  head->push_back(nn::Linear(lastconv_output, options.num_classes()));
  register_child("classifier", classifier, head);

  NoGradGuard no_grad;
  apply([](nn::Module& module) {
    if (auto* conv = module.as<nn::Conv2dImpl>()) {
      nn::init::kaiming_normal_(conv->weight, 0, kFanOut);
      if (conv->bias.defined()) nn::init::zeros_(conv->bias);
    } else if (auto* bn = module.as<nn::BatchNorm2dImpl>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    } else if (auto* linear = module.as<nn::LinearImpl>()) {
      const double init_range = 1.0 / std::sqrt(static_cast<double>(linear->options.out_features()));
      nn::init::uniform_(linear->weight, -init_range, init_range);
      nn::init::zeros_(linear->bias);
    }
  });
}

Tensor EfficientNetImpl::forward(const Tensor& input) {
  Tensor x = run("avgpool", run("features", input));
  return run("classifier", nabla::flatten(x, 1));
}

EfficientNet efficientnet_b0(const EfficientNetOptions& options) {
  const std::vector<MBConvConfig> setting{
      MBConvConfig::make(1, 3, 1, 32, 16, 1),  MBConvConfig::make(6, 3, 2, 16, 24, 2),
      MBConvConfig::make(6, 5, 2, 24, 40, 2),  MBConvConfig::make(6, 3, 2, 40, 80, 3),
      MBConvConfig::make(6, 5, 1, 80, 112, 3), MBConvConfig::make(6, 5, 2, 112, 192, 4),
      MBConvConfig::make(6, 3, 1, 192, 320, 1)};
  return EfficientNet(setting, 0.2, options);
}

}  // namespace nabla::vision::models
