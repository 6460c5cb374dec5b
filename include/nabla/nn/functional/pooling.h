#pragma once
/// Pooling: the top-level ops (as libtorch's torch::max_pool2d, ...) and the
/// nn::functional wrappers taking *FuncOptions.
///   auto y = nabla::max_pool2d(x, 2);                      // stride defaults to kernel_size
///   auto [v, idx] = nabla::max_pool2d_with_indices(x, {3, 3}, {2, 2}, 1);
///   auto z = nn::functional::avg_pool2d(x, nn::functional::AvgPool2dFuncOptions(2).ceil_mode(true));
/// Inputs are [N, C, H, W] or [C, H, W].
#include <optional>
#include <tuple>

#include "nabla/nn/options/pooling.h"
#include "nabla/tensor.h"

namespace nabla {

/// Max over windows; stride {} means stride = kernel_size.
Tensor max_pool2d(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride = {}, IntArrayRef padding = 0,
                  IntArrayRef dilation = 1, bool ceil_mode = false);
/// max_pool2d and the flat index (h * W + w) of each maximum in its input plane (int64).
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride = {},
                                                   IntArrayRef padding = 0, IntArrayRef dilation = 1,
                                                   bool ceil_mode = false);
/// Mean over windows; the divisor counts the zero padding when count_include_pad, or is
/// divisor_override when given.
Tensor avg_pool2d(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride = {}, IntArrayRef padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
/// Mean over output_size windows that tile the input ([oh * H / OH, ceil((oh + 1) * H / OH))).
Tensor adaptive_avg_pool2d(const Tensor& self, IntArrayRef output_size);

namespace nn::functional {

Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options);
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& options);
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options);
/// output_size entries that are std::nullopt keep the input's size.
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& options);

}  // namespace nn::functional
}  // namespace nabla
