#pragma once
/// Convolution modules, as libtorch's: nn::Conv1d, nn::Conv2d, nn::ConvTranspose2d. Parameter
/// shapes, default initialisation (kaiming_uniform_(weight, a=sqrt(5)), bias uniform in
/// ±1/sqrt(fan_in)) and printing are PyTorch's.
///   nn::Conv2d conv(nn::Conv2dOptions(1, 32, 3).padding(1));
///   auto y = conv(x);                                 // x: [N, 1, H, W] -> [N, 32, H, W]
///   std::cout << *conv;                               // Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1,
///   1))
#include <optional>
#include <string>

#include "nabla/nn/module.h"
#include "nabla/nn/modules/any.h"
#include "nabla/nn/options/conv.h"

namespace nabla::nn {

namespace detail {

/// What Conv1d and Conv2d share: options, weight [out, in / groups, *kernel], optional bias.
template <size_t D, typename Derived>
class ConvNdImpl : public Cloneable<Derived> {
 public:
  explicit ConvNdImpl(ConvOptions<D> options_) : options(std::move(options_)) {}
  /// Checks the options, creates weight and bias and initialises them.
  void reset() override;
  /// kaiming_uniform_(weight, a = sqrt(5)); bias uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  void reset_parameters();
  /// Python's extra_repr: `1, 32, kernel_size=(3, 3), stride=(1, 1)[, padding=...]...`.
  std::string extra_repr() const override;
  /// The convolution of input ([N, C, *] or unbatched [C, *]) with this module's parameters.
  Tensor forward(const Tensor& input);

  ConvOptions<D> options;
  Tensor weight;
  Tensor bias;
};

}  // namespace detail

/// 1-d convolution over [N, C, L] or [C, L].
class Conv1dImpl : public detail::ConvNdImpl<1, Conv1dImpl> {
 public:
  Conv1dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<1> kernel_size)
      : Conv1dImpl(Conv1dOptions(in_channels, out_channels, kernel_size)) {}
  explicit Conv1dImpl(Conv1dOptions options_);
};
NABLA_MODULE(Conv1d);

/// 2-d convolution over [N, C, H, W] or [C, H, W].
class Conv2dImpl : public detail::ConvNdImpl<2, Conv2dImpl> {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : Conv2dImpl(Conv2dOptions(in_channels, out_channels, kernel_size)) {}
  explicit Conv2dImpl(Conv2dOptions options_);
};
NABLA_MODULE(Conv2d);

/// 2-d transposed convolution; weight [in, out / groups, KH, KW].
class ConvTranspose2dImpl : public Cloneable<ConvTranspose2dImpl> {
 public:
  ConvTranspose2dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : ConvTranspose2dImpl(ConvTranspose2dOptions(in_channels, out_channels, kernel_size)) {}
  explicit ConvTranspose2dImpl(ConvTranspose2dOptions options_);
  void reset() override;
  void reset_parameters();
  std::string extra_repr() const override;
  /// output_size (the last 2 or all dims of the wanted output) picks output_padding, as
  /// PyTorch's forward(input, output_size).
  Tensor forward(const Tensor& input, const std::optional<IntArrayRef>& output_size = std::nullopt);
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(std::optional<IntArrayRef>())})

  ConvTranspose2dOptions options;
  Tensor weight;
  Tensor bias;
};
NABLA_MODULE(ConvTranspose2d);

}  // namespace nabla::nn
