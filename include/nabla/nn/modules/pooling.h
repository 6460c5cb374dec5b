#pragma once
/// Pooling modules, as libtorch's: nn::MaxPool2d, nn::AvgPool2d, nn::AdaptiveAvgPool2d.
///   nn::MaxPool2d pool(nn::MaxPool2dOptions(2));
///   auto y = pool(x);                                   // [N, C, H, W] -> [N, C, H/2, W/2]
///   auto [v, idx] = pool->forward_with_indices(x);
#include <string>
#include <tuple>

#include "nabla/nn/module.h"
#include "nabla/nn/options/pooling.h"

namespace nabla::nn {

/// Max over kernel_size windows (stride defaults to kernel_size).
class MaxPool2dImpl : public Cloneable<MaxPool2dImpl> {
 public:
  MaxPool2dImpl(ExpandingArray<2> kernel_size) : MaxPool2dImpl(MaxPool2dOptions(kernel_size)) {}  // NOLINT
  explicit MaxPool2dImpl(const MaxPool2dOptions& options_);
  void reset() override {}
  /// `kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False` as Python prints it.
  std::string extra_repr() const override;
  Tensor forward(const Tensor& input);
  /// The pooled values and the flat indices of the maxima in their input planes.
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);

  MaxPool2dOptions options;
};
NABLA_MODULE(MaxPool2d);

/// Mean over kernel_size windows (stride defaults to kernel_size).
class AvgPool2dImpl : public Cloneable<AvgPool2dImpl> {
 public:
  AvgPool2dImpl(ExpandingArray<2> kernel_size) : AvgPool2dImpl(AvgPool2dOptions(kernel_size)) {}  // NOLINT
  explicit AvgPool2dImpl(const AvgPool2dOptions& options_);
  void reset() override {}
  /// `kernel_size=2, stride=2, padding=0` as Python prints it.
  std::string extra_repr() const override;
  Tensor forward(const Tensor& input);

  AvgPool2dOptions options;
};
NABLA_MODULE(AvgPool2d);

/// Mean over windows that tile the input into output_size cells.
class AdaptiveAvgPool2dImpl : public Cloneable<AdaptiveAvgPool2dImpl> {
 public:
  AdaptiveAvgPool2dImpl(ExpandingArrayWithOptionalElem<2> output_size)  // NOLINT
      : AdaptiveAvgPool2dImpl(AdaptiveAvgPool2dOptions(output_size)) {}
  explicit AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options_);
  void reset() override {}
  /// `output_size=(7, 7)` as Python prints it.
  std::string extra_repr() const override;
  Tensor forward(const Tensor& input);

  AdaptiveAvgPool2dOptions options;
};
NABLA_MODULE(AdaptiveAvgPool2d);

}  // namespace nabla::nn
