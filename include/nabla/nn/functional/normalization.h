#pragma once
/// Layer and group normalisation: nabla::layer_norm / nabla::group_norm (as torch::) and
/// their nn::functional forms.
///   namespace F = nabla::nn::functional;
///   auto y = F::layer_norm(x, F::LayerNormFuncOptions({x.size(-1)}).weight(w).bias(b));
///   auto z = F::group_norm(x, F::GroupNormFuncOptions(4));
#include <cstdint>

#include "nabla/array_ref.h"
#include "nabla/nn/options/normalization.h"
#include "nabla/tensor.h"

namespace nabla {

/// Normalises input over its trailing dims `normalized_shape` (mean and biased variance of
/// each sample), then applies weight and bias (shape normalized_shape, optional).
/// grad_fn: NativeLayerNormBackward0. cudnn_enable is ignored.
Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5, bool cudnn_enable = true);

/// Normalises input (N, C, ...) over each of num_groups groups of channels (and all spatial
/// positions), then applies the per-channel weight and bias (C, optional).
/// grad_fn: NativeGroupNormBackward0. cudnn_enabled is ignored.
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5, bool cudnn_enabled = true);

namespace nn::functional {

/// torch.nn.functional.layer_norm.
Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options);
/// torch.nn.functional.group_norm.
Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options);

}  // namespace nn::functional
}  // namespace nabla
