#pragma once
/// Batch normalisation: nabla::batch_norm (as torch::batch_norm) and
/// nn::functional::batch_norm (as torch.nn.functional.batch_norm).
///   namespace F = nabla::nn::functional;
///   auto y = F::batch_norm(x, running_mean, running_var,
///                          F::BatchNormFuncOptions().weight(w).bias(b).training(true));
#include "nabla/nn/options/batchnorm.h"
#include "nabla/tensor.h"

namespace nabla {

/// Normalises each channel (dim 1) of input (N, C, ...): with the batch's mean and biased
/// variance when training (then running_mean/running_var, if defined, are updated in place
/// with `momentum` and the unbiased variance), else with running_mean/running_var. weight
/// and bias (C) are optional. grad_fn: NativeBatchNormBackward0. cudnn_enabled is ignored.
Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, bool cudnn_enabled = false);

namespace nn::functional {

/// Python's F.batch_norm: checks that training sees more than one value per channel, then
/// nabla::batch_norm. momentum nullopt means 0 (no update), as in Python.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});

}  // namespace nn::functional
}  // namespace nabla
