// torchvision.ops building blocks (include/nabla/vision/ops.h) and vision::ChildModule.
#include "nabla/vision/ops.h"

#include <ostream>

#include "nabla/functions.h"
#include "nabla/nn/modules/activation.h"
#include "nabla/nn/modules/batchnorm.h"
#include "nn/repr.h"

namespace nabla::vision {

ChildModule::Slot& ChildModule::slot_for(const std::string& name) {
  auto it = slots_.find(name);
  NABLA_CHECK(it != slots_.end(), "Submodule '", name, "' is not defined");
  return it->second;
}

namespace ops {

nn::AnyModule batch_norm2d_layer(int64_t channels) { return nn::AnyModule(nn::BatchNorm2d(channels)); }
nn::AnyModule relu_layer(bool inplace) { return nn::AnyModule(nn::ReLU(nn::ReLUOptions(inplace))); }
nn::AnyModule relu6_layer(bool inplace) { return nn::AnyModule(nn::ReLU6(nn::ReLU6Options(inplace))); }
nn::AnyModule silu_layer(bool) { return nn::AnyModule(nn::SiLU()); }
nn::AnyModule sigmoid_layer(bool) { return nn::AnyModule(nn::Sigmoid()); }

Conv2dNormActivationImpl::Conv2dNormActivationImpl(const Conv2dNormActivationOptions& o)
    : out_channels(o.out_channels()) {
  const int64_t padding = o.padding().value_or((o.kernel_size() - 1) / 2 * o.dilation());
  const bool bias = o.bias().value_or(!o.norm_layer());
  push_back(nn::Conv2d(nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                           .stride(o.stride())
                           .padding(padding)
                           .dilation(o.dilation())
                           .groups(o.groups())
                           .bias(bias)));
  if (o.norm_layer()) push_back(o.norm_layer()(o.out_channels()));
  if (o.activation_layer()) push_back(o.activation_layer()(o.inplace()));
}

SqueezeExcitationImpl::SqueezeExcitationImpl(int64_t input_channels, int64_t squeeze_channels,
                                             ActivationLayer activation, ActivationLayer scale_activation) {
  register_child("avgpool", avgpool, nn::AdaptiveAvgPool2d(1));
  register_child("fc1", fc1, nn::Conv2d(input_channels, squeeze_channels, 1));
  register_child("fc2", fc2, nn::Conv2d(squeeze_channels, input_channels, 1));
  // torchvision's MBConv passes partial(nn.SiLU, inplace=True); the scale activation is made
  // with no arguments.
  register_child("activation", activation(true));
  register_child("scale_activation", scale_activation(false));
}

Tensor SqueezeExcitationImpl::forward(const Tensor& input) {
  Tensor scale = run("avgpool", input);
  scale = run("fc1", scale);
  scale = run("activation", scale);
  scale = run("fc2", scale);
  scale = run("scale_activation", scale);
  return scale * input;
}

Tensor stochastic_depth(const Tensor& input, double p, const std::string& mode, bool training) {
  NABLA_CHECK(p >= 0.0 && p <= 1.0, "drop probability has to be between 0 and 1, but got ",
              nn::detail::python_float_repr(p));
  NABLA_CHECK(mode == "batch" || mode == "row", "mode has to be either 'batch' or 'row', but got ", mode);
  if (!training || p == 0.0) return input;
  const double survival_rate = 1.0 - p;
  std::vector<int64_t> size(static_cast<size_t>(input.dim()), 1);
  if (mode == "row") size[0] = input.size(0);
  Tensor noise = empty(size, input.scalar_type());
  noise.bernoulli_(survival_rate);
  if (survival_rate > 0.0) noise.div_(survival_rate);
  return input * noise;
}

StochasticDepthImpl::StochasticDepthImpl(double p_, std::string mode_) : p(p_), mode(std::move(mode_)) {}

Tensor StochasticDepthImpl::forward(const Tensor& input) { return stochastic_depth(input, p, mode, is_training()); }

void StochasticDepthImpl::pretty_print(std::ostream& stream) const {
  stream << "StochasticDepth(p=" << nn::detail::python_float_repr(p) << ", mode=" << mode << ")";
}

}  // namespace ops
}  // namespace nabla::vision
