#pragma once
/// Options of the convolution modules and functions, as libtorch's torch/nn/options/conv.h:
///   nn::Conv2dOptions(1, 32, 3).stride(1).padding(1).bias(false)
///   nn::functional::Conv2dFuncOptions().stride(2).padding(nabla::kSame).groups(2)
#include <cstdint>
#include <initializer_list>
#include <variant>

#include "nabla/expanding_array.h"
#include "nabla/nn/enum.h"
#include "nabla/nn/options.h"
#include "nabla/tensor.h"

namespace nabla::nn {

namespace detail {
/// A convolution's padding: explicit sizes, or nabla::kSame / nabla::kValid.
template <size_t D>
using conv_padding_t = std::variant<ExpandingArray<D>, PaddingMode>;
}  // namespace detail

/// Options of Conv1d / Conv2d.
template <size_t D>
struct ConvOptions {
  using padding_t = detail::conv_padding_t<D>;
  using padding_mode_t = PadKind;
  ConvOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(std::move(kernel_size)) {}
  NABLA_ARG(int64_t, in_channels);
  NABLA_ARG(int64_t, out_channels);
  NABLA_ARG(ExpandingArray<D>, kernel_size);
  NABLA_ARG(ExpandingArray<D>, stride) = 1;
  NABLA_ARG(padding_t, padding) = ExpandingArray<D>(0);

 public:
  decltype(auto) padding(std::initializer_list<int64_t> il) { return padding(ExpandingArray<D>(il)); }
  NABLA_ARG(ExpandingArray<D>, dilation) = 1;
  NABLA_ARG(int64_t, groups) = 1;
  NABLA_ARG(bool, bias) = true;
  /// kZeros, kReflect, kReplicate or kCircular.
  NABLA_ARG(padding_mode_t, padding_mode) = kZeros;
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;

/// Options of ConvTranspose2d.
template <size_t D>
struct ConvTransposeOptions {
  using padding_mode_t = PadKind;
  ConvTransposeOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(std::move(kernel_size)) {}
  NABLA_ARG(int64_t, in_channels);
  NABLA_ARG(int64_t, out_channels);
  NABLA_ARG(ExpandingArray<D>, kernel_size);
  NABLA_ARG(ExpandingArray<D>, stride) = 1;
  NABLA_ARG(ExpandingArray<D>, padding) = 0;
  NABLA_ARG(ExpandingArray<D>, output_padding) = 0;
  NABLA_ARG(int64_t, groups) = 1;
  NABLA_ARG(bool, bias) = true;
  NABLA_ARG(ExpandingArray<D>, dilation) = 1;
  /// Only kZeros is supported by transposed convolutions (as in PyTorch).
  NABLA_ARG(padding_mode_t, padding_mode) = kZeros;
};
using ConvTranspose2dOptions = ConvTransposeOptions<2>;

namespace functional {

/// Options of nn::functional::conv1d / conv2d.
template <size_t D>
struct ConvFuncOptions {
  using padding_t = nn::detail::conv_padding_t<D>;
  NABLA_ARG(Tensor, bias) = Tensor();
  NABLA_ARG(ExpandingArray<D>, stride) = 1;
  NABLA_ARG(padding_t, padding) = ExpandingArray<D>(0);

 public:
  decltype(auto) padding(std::initializer_list<int64_t> il) { return padding(ExpandingArray<D>(il)); }
  NABLA_ARG(ExpandingArray<D>, dilation) = 1;
  NABLA_ARG(int64_t, groups) = 1;
};
using Conv1dFuncOptions = ConvFuncOptions<1>;
using Conv2dFuncOptions = ConvFuncOptions<2>;

/// Options of nn::functional::conv_transpose2d.
template <size_t D>
struct ConvTransposeFuncOptions {
  NABLA_ARG(Tensor, bias) = Tensor();
  NABLA_ARG(ExpandingArray<D>, stride) = 1;
  NABLA_ARG(ExpandingArray<D>, padding) = 0;
  NABLA_ARG(ExpandingArray<D>, output_padding) = 0;
  NABLA_ARG(int64_t, groups) = 1;
  NABLA_ARG(ExpandingArray<D>, dilation) = 1;
};
using ConvTranspose2dFuncOptions = ConvTransposeFuncOptions<2>;

}  // namespace functional
}  // namespace nabla::nn
