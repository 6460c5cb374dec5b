// torchvision.models.resnet (include/nabla/vision/models.h). Note [Initialisation order]: the
// modules are constructed in the order torchvision constructs them (a block's downsample before
// the block), each drawing its default initialisation from the default generator, and then
// re-initialised in modules() order as torchvision's constructor does, so that after the same
// manual_seed every parameter is torchvision's bit for bit.
#include "nabla/functions.h"
#include "nabla/nn/init.h"
#include "nabla/nn/modules/activation.h"
#include "nabla/vision/models.h"

namespace nabla::vision::models {

namespace {

nn::Conv2d conv3x3(int64_t in_planes, int64_t out_planes, int64_t stride = 1, int64_t groups = 1,
                   int64_t dilation = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in_planes, out_planes, 3)
                        .stride(stride)
                        .padding(dilation)
                        .groups(groups)
                        .bias(false)
                        .dilation(dilation));
}

nn::Conv2d conv1x1(int64_t in_planes, int64_t out_planes, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in_planes, out_planes, 1).stride(stride).bias(false));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t inplanes, int64_t planes, int64_t stride_, nn::Sequential downsample_,
                               int64_t groups, int64_t base_width, int64_t dilation)
    : stride(stride_) {
  NABLA_CHECK(groups == 1 && base_width == 64, "BasicBlock only supports groups=1 and base_width=64");
  NABLA_CHECK(dilation <= 1, "Dilation > 1 not supported in BasicBlock");
  register_child("conv1", conv1, conv3x3(inplanes, planes, stride));
  register_child("bn1", bn1, nn::BatchNorm2d(planes));
  register_child("relu", relu, nn::ReLU(true));
  register_child("conv2", conv2, conv3x3(planes, planes));
  register_child("bn2", bn2, nn::BatchNorm2d(planes));
  if (downsample_) register_child("downsample", downsample, std::move(downsample_));
}

Tensor BasicBlockImpl::forward(const Tensor& x) {
  Tensor out = run("bn1", run("conv1", x));
  out = run("relu", out);
  out = run("bn2", run("conv2", out));
  out += has_child("downsample") ? run("downsample", x) : x;
  return run("relu", out);
}

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride_, nn::Sequential downsample_,
                               int64_t groups, int64_t base_width, int64_t dilation)
    : stride(stride_) {
  const auto width =
      static_cast<int64_t>(static_cast<double>(planes) * (static_cast<double>(base_width) / 64.0)) * groups;
  register_child("conv1", conv1, conv1x1(inplanes, width));
  register_child("bn1", bn1, nn::BatchNorm2d(width));
  register_child("conv2", conv2, conv3x3(width, width, stride, groups, dilation));
  register_child("bn2", bn2, nn::BatchNorm2d(width));
  register_child("conv3", conv3, conv1x1(width, planes * expansion));
  register_child("bn3", bn3, nn::BatchNorm2d(planes * expansion));
  register_child("relu", relu, nn::ReLU(true));
  if (downsample_) register_child("downsample", downsample, std::move(downsample_));
}

Tensor BottleneckImpl::forward(const Tensor& x) {
  Tensor out = run("relu", run("bn1", run("conv1", x)));
  out = run("relu", run("bn2", run("conv2", out)));
  out = run("bn3", run("conv3", out));
  out += has_child("downsample") ? run("downsample", x) : x;
  return run("relu", out);
}

ResNetImpl::ResNetImpl(ResNetBlock block, const std::vector<int64_t>& layers, const ResNetOptions& options)
    : groups_(options.groups()), base_width_(options.width_per_group()) {
  NABLA_CHECK(layers.size() == 4, "ResNet expects 4 numbers of blocks (one per stage), got ", layers.size());
  const auto& dilate = options.replace_stride_with_dilation();
  NABLA_CHECK(dilate.size() == 3, "replace_stride_with_dilation should be None or a 3-element tuple, got ",
              dilate.size(), " elements");
  register_child("conv1", conv1, nn::Conv2d(nn::Conv2dOptions(3, inplanes_, 7).stride(2).padding(3).bias(false)));
  register_child("bn1", bn1, nn::BatchNorm2d(inplanes_));
  register_child("relu", relu, nn::ReLU(true));
  register_child("maxpool", maxpool, nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
  register_child("layer1", layer1, make_layer(block, 64, layers[0], 1, false));
  register_child("layer2", layer2, make_layer(block, 128, layers[1], 2, dilate[0]));
  register_child("layer3", layer3, make_layer(block, 256, layers[2], 2, dilate[1]));
  register_child("layer4", layer4, make_layer(block, 512, layers[3], 2, dilate[2]));
  register_child("avgpool", avgpool, nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1})));
  const int64_t expansion = block == ResNetBlock::kBasic ? BasicBlockImpl::expansion : BottleneckImpl::expansion;
  register_child("fc", fc, nn::Linear(512 * expansion, options.num_classes()));

  NoGradGuard no_grad;
  apply([](nn::Module& module) {
    if (auto* conv = module.as<nn::Conv2dImpl>()) {
      nn::init::kaiming_normal_(conv->weight, 0, kFanOut, kReLU);
    } else if (auto* bn = module.as<nn::BatchNorm2dImpl>()) {
      nn::init::constant_(bn->weight, 1);
      nn::init::constant_(bn->bias, 0);
    }
  });
  if (options.zero_init_residual()) {
    apply([](nn::Module& module) {
      if (auto* b = module.as<BottleneckImpl>())
        nn::init::constant_(b->bn3->weight, 0);
      else if (auto* b2 = module.as<BasicBlockImpl>())
        nn::init::constant_(b2->bn2->weight, 0);
    });
  }
}

nn::Sequential ResNetImpl::make_layer(ResNetBlock block, int64_t planes, int64_t blocks, int64_t stride, bool dilate) {
  const int64_t expansion = block == ResNetBlock::kBasic ? BasicBlockImpl::expansion : BottleneckImpl::expansion;
  const int64_t previous_dilation = dilation_;
  if (dilate) {
    dilation_ *= stride;
    stride = 1;
  }
  nn::Sequential downsample{nullptr};
  if (stride != 1 || inplanes_ != planes * expansion) {
    downsample = nn::Sequential();
    downsample->push_back(conv1x1(inplanes_, planes * expansion, stride));
    downsample->push_back(nn::BatchNorm2d(planes * expansion));
  }
  auto make = [&](int64_t inplanes, int64_t s, nn::Sequential ds, int64_t dilation) -> nn::AnyModule {
    if (block == ResNetBlock::kBasic)
      return nn::AnyModule(BasicBlock(inplanes, planes, s, std::move(ds), groups_, base_width_, dilation));
    return nn::AnyModule(Bottleneck(inplanes, planes, s, std::move(ds), groups_, base_width_, dilation));
  };
  nn::Sequential layers;
  layers->push_back(make(inplanes_, stride, downsample, previous_dilation));
  inplanes_ = planes * expansion;
  for (int64_t i = 1; i < blocks; ++i) layers->push_back(make(inplanes_, 1, nullptr, dilation_));
  return layers;
}

Tensor ResNetImpl::forward(const Tensor& input) {
  Tensor x = run("maxpool", run("relu", run("bn1", run("conv1", input))));
  x = run("layer4", run("layer3", run("layer2", run("layer1", x))));
  x = run("avgpool", x);
  return run("fc", nabla::flatten(x, 1));
}

ResNet resnet18(const ResNetOptions& options) {
  return ResNet(ResNetBlock::kBasic, std::vector<int64_t>{2, 2, 2, 2}, options);
}
ResNet resnet34(const ResNetOptions& options) {
  return ResNet(ResNetBlock::kBasic, std::vector<int64_t>{3, 4, 6, 3}, options);
}
ResNet resnet50(const ResNetOptions& options) {
  return ResNet(ResNetBlock::kBottleneck, std::vector<int64_t>{3, 4, 6, 3}, options);
}

}  // namespace nabla::vision::models
