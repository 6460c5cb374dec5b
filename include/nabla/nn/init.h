#pragma once
/// nn::init: in-place initialisation of parameters, as torch.nn.init. Every function runs
/// without recording autograd history and draws from the default generator exactly as
/// PyTorch does, so `manual_seed(0); nn::Linear(784, 256)` has PyTorch's weights.
///   nn::init::kaiming_uniform_(w, std::sqrt(5.0));
#include <cstdint>
#include <tuple>

#include "nabla/nn/enum.h"
#include "nabla/tensor.h"

namespace nabla::nn::init {

/// The recommended gain for a nonlinearity (param: negative slope of leaky_relu).
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);

Tensor constant_(Tensor tensor, Scalar value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);
/// Identity matrix into a 2-D tensor.
Tensor eye_(Tensor matrix);
/// Dirac delta into a {3,4,5}-D convolution weight (identity convolution).
Tensor dirac_(Tensor tensor, int64_t groups = 1);
Tensor uniform_(Tensor tensor, double low = 0, double high = 1);
Tensor normal_(Tensor tensor, double mean = 0, double std = 1);
/// Normal(mean, std) truncated to [a, b], by PyTorch's inverse-CDF method.
Tensor trunc_normal_(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2);
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);
Tensor kaiming_uniform_(Tensor tensor, double a = 0, FanMode mode = kFanIn,
                        Nonlinearity nonlinearity = kLeakyReLU);
Tensor kaiming_normal_(Tensor tensor, double a = 0, FanMode mode = kFanIn,
                       Nonlinearity nonlinearity = kLeakyReLU);

/// (fan_in, fan_out) of a weight: fan_in = size(1) * receptive field, fan_out = size(0) * ...
std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor);

}  // namespace nabla::nn::init
