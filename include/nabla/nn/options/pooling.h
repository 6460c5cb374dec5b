#pragma once
/// Options of the pooling modules and functions, as libtorch's torch/nn/options/pooling.h:
///   nn::MaxPool2dOptions(2).stride(2).ceil_mode(true)
///   nn::AdaptiveAvgPool2dOptions({7, 7})
#include <cstdint>
#include <optional>

#include "nabla/expanding_array.h"
#include "nabla/nn/options.h"

namespace nabla::nn {

/// Options of AvgPool2d / avg_pool2d (stride defaults to kernel_size).
template <size_t D>
struct AvgPoolOptions {
  AvgPoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT
  NABLA_ARG(ExpandingArray<D>, kernel_size);
  NABLA_ARG(ExpandingArray<D>, stride);
  NABLA_ARG(ExpandingArray<D>, padding) = 0;
  NABLA_ARG(bool, ceil_mode) = false;
  NABLA_ARG(bool, count_include_pad) = true;
  NABLA_ARG(std::optional<int64_t>, divisor_override) = std::nullopt;
};
using AvgPool2dOptions = AvgPoolOptions<2>;

/// Options of MaxPool2d / max_pool2d (stride defaults to kernel_size).
template <size_t D>
struct MaxPoolOptions {
  MaxPoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT
  NABLA_ARG(ExpandingArray<D>, kernel_size);
  NABLA_ARG(ExpandingArray<D>, stride);
  NABLA_ARG(ExpandingArray<D>, padding) = 0;
  NABLA_ARG(ExpandingArray<D>, dilation) = 1;
  NABLA_ARG(bool, ceil_mode) = false;
};
using MaxPool2dOptions = MaxPoolOptions<2>;

/// Options of AdaptiveAvgPool2d / adaptive_avg_pool2d: the output size, where std::nullopt
/// (Python's None) keeps the input's size.
template <typename output_size_t>
struct AdaptiveAvgPoolOptions {
  AdaptiveAvgPoolOptions(output_size_t output_size) : output_size_(output_size) {}  // NOLINT
  NABLA_ARG(output_size_t, output_size);
};
using AdaptiveAvgPool2dOptions = AdaptiveAvgPoolOptions<ExpandingArrayWithOptionalElem<2>>;

namespace functional {
using AvgPool2dFuncOptions = AvgPool2dOptions;
using MaxPool2dFuncOptions = MaxPool2dOptions;
using AdaptiveAvgPool2dFuncOptions = AdaptiveAvgPool2dOptions;
}  // namespace functional

}  // namespace nabla::nn
