#pragma once
/// Options of LayerNorm and GroupNorm and of their nn::functional forms, as libtorch's.
///   nn::LayerNorm ln(nn::LayerNormOptions({128}).eps(1e-6));
///   nn::GroupNorm gn(nn::GroupNormOptions(4, 32).affine(false));
#include <cstdint>
#include <utility>
#include <vector>

#include "nabla/nn/options.h"
#include "nabla/tensor.h"

namespace nabla::nn {

/// Options of the LayerNorm module.
struct LayerNormOptions {
  /* implicit */ LayerNormOptions(std::vector<int64_t> normalized_shape)  // NOLINT
      : normalized_shape_(std::move(normalized_shape)) {}
  /// The trailing dims over which each sample is normalised.
  NABLA_ARG(std::vector<int64_t>, normalized_shape);
  NABLA_ARG(double, eps) = 1e-5;
  /// Learnable weight (ones) and bias (zeros) of shape normalized_shape.
  NABLA_ARG(bool, elementwise_affine) = true;
};

/// Options of the GroupNorm module.
struct GroupNormOptions {
  GroupNormOptions(int64_t num_groups, int64_t num_channels) : num_groups_(num_groups), num_channels_(num_channels) {}
  /// Number of groups the channels are split into (must divide num_channels).
  NABLA_ARG(int64_t, num_groups);
  NABLA_ARG(int64_t, num_channels);
  NABLA_ARG(double, eps) = 1e-5;
  /// Learnable per-channel weight (ones) and bias (zeros).
  NABLA_ARG(bool, affine) = true;
};

namespace functional {
/// Options of nn::functional::layer_norm.
struct LayerNormFuncOptions {
  /* implicit */ LayerNormFuncOptions(std::vector<int64_t> normalized_shape)  // NOLINT
      : normalized_shape_(std::move(normalized_shape)) {}
  NABLA_ARG(std::vector<int64_t>, normalized_shape);
  NABLA_ARG(Tensor, weight) = {};
  NABLA_ARG(Tensor, bias) = {};
  NABLA_ARG(double, eps) = 1e-5;
};

/// Options of nn::functional::group_norm.
struct GroupNormFuncOptions {
  /* implicit */ GroupNormFuncOptions(int64_t num_groups) : num_groups_(num_groups) {}  // NOLINT
  NABLA_ARG(int64_t, num_groups);
  NABLA_ARG(Tensor, weight) = {};
  NABLA_ARG(Tensor, bias) = {};
  NABLA_ARG(double, eps) = 1e-5;
};
}  // namespace functional

}  // namespace nabla::nn
