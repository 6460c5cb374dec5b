#pragma once
/// torchvision.models (0.14) in C++: ResNet-18/34/50, MobileNetV2, VGG-11/16/16-BN, EfficientNet-B0.
///   auto model = nabla::vision::models::resnet18();           // torchvision.models.resnet18()
///   model->load_state_dict(weights);                          // keys "conv1.weight", "layer1.0.bn1.running_mean", ...
///   model->eval();
///   auto logits = model->forward(x);                          // [N, 3, H, W] -> [N, 1000]
///   model->replace_module("fc", nabla::nn::Identity());       // model.fc = nn.Identity(): [N, 512] features
/// The module trees, their names and order, the default initialisation (after the same
/// manual_seed, the same parameters bit for bit) and forward() are torchvision's. Replacing a
/// child with replace_module changes what forward() runs (vision::ChildModule); Sequential
/// children (layer1, features, classifier) replace their layers the same way.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "nabla/nn/modules/activation.h"
#include "nabla/nn/modules/batchnorm.h"
#include "nabla/nn/modules/container.h"
#include "nabla/nn/modules/conv.h"
#include "nabla/nn/modules/linear.h"
#include "nabla/nn/modules/pooling.h"
#include "nabla/nn/options.h"
#include "nabla/vision/ops.h"

namespace nabla::vision::models {

/// Rows (t, c, n, s) of MobileNetV2's inverted residual setting: expansion, channels, repeats,
/// first stride.
using InvertedResidualSetting = std::vector<std::array<int64_t, 4>>;

// ---- ResNet ---------------------------------------------------------------------------------

/// Two 3x3 convolutions with a shortcut (ResNet-18/34).
class BasicBlockImpl : public ChildModule {
 public:
  static constexpr int64_t expansion = 1;
  /// downsample: the shortcut's projection, or an empty Sequential{nullptr} for the identity.
  BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride = 1, nn::Sequential downsample = nullptr,
                 int64_t groups = 1, int64_t base_width = 64, int64_t dilation = 1);
  Tensor forward(const Tensor& x);
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::ReLU relu{nullptr};
  nn::Sequential downsample{nullptr};
  int64_t stride;
};
NABLA_MODULE(BasicBlock);

/// 1x1, 3x3 (with the stride: ResNet V1.5), 1x1 convolutions with a shortcut (ResNet-50).
class BottleneckImpl : public ChildModule {
 public:
  static constexpr int64_t expansion = 4;
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride = 1, nn::Sequential downsample = nullptr,
                 int64_t groups = 1, int64_t base_width = 64, int64_t dilation = 1);
  Tensor forward(const Tensor& x);
  nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  nn::ReLU relu{nullptr};
  nn::Sequential downsample{nullptr};
  int64_t stride;
};
NABLA_MODULE(Bottleneck);

/// Which residual block a ResNet stacks.
enum class ResNetBlock { kBasic, kBottleneck };

/// torchvision.models.ResNet's keyword arguments; ResNetOptions(10) sets num_classes.
struct ResNetOptions {
  /* implicit */ ResNetOptions(int64_t num_classes = 1000) : num_classes_(num_classes) {}  // NOLINT
  NABLA_ARG(int64_t, num_classes);
  /// Zero the last BatchNorm weight of each block, so that the blocks start as identities.
  NABLA_ARG(bool, zero_init_residual) = false;
  NABLA_ARG(int64_t, groups) = 1;
  NABLA_ARG(int64_t, width_per_group) = 64;
  /// For layer2..layer4: a dilated convolution instead of the stride 2.
  NABLA_ARG(std::vector<bool>, replace_stride_with_dilation) = std::vector<bool>{false, false, false};
};

/// conv1, bn1, relu, maxpool, layer1..layer4 (Sequentials of blocks), avgpool, fc.
class ResNetImpl : public ChildModule {
 public:
  ResNetImpl(ResNetBlock block, const std::vector<int64_t>& layers, const ResNetOptions& options = {});
  /// [N, 3, H, W] -> [N, num_classes]: the stem, the four stages, average pooling, flatten, fc.
  Tensor forward(const Tensor& x);
  nn::Conv2d conv1{nullptr};
  nn::BatchNorm2d bn1{nullptr};
  nn::ReLU relu{nullptr};
  nn::MaxPool2d maxpool{nullptr};
  nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  nn::AdaptiveAvgPool2d avgpool{nullptr};
  nn::Linear fc{nullptr};

 private:
  nn::Sequential make_layer(ResNetBlock block, int64_t planes, int64_t blocks, int64_t stride, bool dilate);
  int64_t inplanes_ = 64, dilation_ = 1, groups_, base_width_;
};
NABLA_MODULE(ResNet);

ResNet resnet18(const ResNetOptions& options = {});
ResNet resnet34(const ResNetOptions& options = {});
ResNet resnet50(const ResNetOptions& options = {});

// ---- MobileNetV2 ----------------------------------------------------------------------------

/// Expand (1x1), depthwise (3x3), project (1x1, linear), with a residual when the shape allows.
class InvertedResidualImpl : public ChildModule {
 public:
  InvertedResidualImpl(int64_t inp, int64_t oup, int64_t stride, int64_t expand_ratio);
  Tensor forward(const Tensor& x);
  nn::Sequential conv{nullptr};
  int64_t stride, out_channels;
  bool use_res_connect;
};
NABLA_MODULE(InvertedResidual);

/// torchvision.models.MobileNetV2's keyword arguments; MobileNetV2Options(10) sets num_classes.
struct MobileNetV2Options {
  /* implicit */ MobileNetV2Options(int64_t num_classes = 1000) : num_classes_(num_classes) {}  // NOLINT
  NABLA_ARG(int64_t, num_classes);
  NABLA_ARG(double, width_mult) = 1.0;
  /// Empty for the paper's.
  NABLA_ARG(InvertedResidualSetting, inverted_residual_setting) = {};
  NABLA_ARG(int64_t, round_nearest) = 8;
  NABLA_ARG(double, dropout) = 0.2;
};

/// features (Sequential of Conv2dNormActivation and InvertedResidual), classifier (Dropout, Linear).
class MobileNetV2Impl : public ChildModule {
 public:
  explicit MobileNetV2Impl(const MobileNetV2Options& options = {});
  /// features, adaptive_avg_pool2d to 1x1, flatten, classifier.
  Tensor forward(const Tensor& x);
  nn::Sequential features{nullptr}, classifier{nullptr};
  int64_t last_channel;
};
NABLA_MODULE(MobileNetV2);

MobileNetV2 mobilenet_v2(const MobileNetV2Options& options = {});

// ---- VGG ------------------------------------------------------------------------------------

/// torchvision.models.VGG's keyword arguments; VGGOptions(10) sets num_classes.
struct VGGOptions {
  /* implicit */ VGGOptions(int64_t num_classes = 1000) : num_classes_(num_classes) {}  // NOLINT
  NABLA_ARG(int64_t, num_classes);
  /// torchvision's initialisation (kaiming_normal_ convolutions, normal(0, 0.01) Linear layers);
  /// without it the layers keep their default one.
  NABLA_ARG(bool, init_weights) = true;
  NABLA_ARG(double, dropout) = 0.5;
};

/// The convolutional layers of a VGG configuration: "A" (VGG-11), "B" (13), "D" (16), "E" (19).
nn::Sequential make_layers(const std::string& cfg, bool batch_norm = false);

/// features, avgpool (7x7), classifier (Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear).
class VGGImpl : public ChildModule {
 public:
  explicit VGGImpl(nn::Sequential features, const VGGOptions& options = {});
  Tensor forward(const Tensor& x);
  nn::Sequential features{nullptr};
  nn::AdaptiveAvgPool2d avgpool{nullptr};
  nn::Sequential classifier{nullptr};
};
NABLA_MODULE(VGG);

VGG vgg11(const VGGOptions& options = {});
VGG vgg16(const VGGOptions& options = {});
VGG vgg16_bn(const VGGOptions& options = {});

// ---- EfficientNet ---------------------------------------------------------------------------

/// One stage of an EfficientNet (torchvision's MBConvConfig, channels already scaled).
struct MBConvConfig {
  double expand_ratio;
  int64_t kernel, stride, input_channels, out_channels, num_layers;
  /// torchvision's MBConvConfig(expand_ratio, kernel, stride, input_channels, out_channels,
  /// num_layers, width_mult, depth_mult): channels rounded to multiples of 8, layers rounded up.
  static MBConvConfig make(double expand_ratio, int64_t kernel, int64_t stride, int64_t input_channels,
                           int64_t out_channels, int64_t num_layers, double width_mult = 1.0, double depth_mult = 1.0);
};

/// Expand (1x1), depthwise, squeeze-and-excitation, project (1x1), with stochastic depth on the
/// residual.
class MBConvImpl : public ChildModule {
 public:
  MBConvImpl(const MBConvConfig& cnf, double stochastic_depth_prob);
  Tensor forward(const Tensor& x);
  nn::Sequential block{nullptr};
  ops::StochasticDepth stochastic_depth{nullptr};
  int64_t out_channels;
  bool use_res_connect;
};
NABLA_MODULE(MBConv);

/// torchvision.models.EfficientNet's keyword arguments; EfficientNetOptions(10) sets num_classes.
struct EfficientNetOptions {
  /* implicit */ EfficientNetOptions(int64_t num_classes = 1000) : num_classes_(num_classes) {}  // NOLINT
  NABLA_ARG(int64_t, num_classes);
  NABLA_ARG(double, stochastic_depth_prob) = 0.2;
};

/// features (stem, stages of MBConv, head), avgpool, classifier (Dropout, Linear).
class EfficientNetImpl : public ChildModule {
 public:
  EfficientNetImpl(const std::vector<MBConvConfig>& inverted_residual_setting, double dropout,
                   const EfficientNetOptions& options = {});
  Tensor forward(const Tensor& x);
  nn::Sequential features{nullptr};
  nn::AdaptiveAvgPool2d avgpool{nullptr};
  nn::Sequential classifier{nullptr};
};
NABLA_MODULE(EfficientNet);

EfficientNet efficientnet_b0(const EfficientNetOptions& options = {});

}  // namespace nabla::vision::models
