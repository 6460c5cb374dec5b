#pragma once
/// Dropout: nabla::dropout / feature_dropout (as torch::) and nn::functional::dropout /
/// dropout2d. With the same seed and calls, the masks are PyTorch's bit for bit.
///   namespace F = nabla::nn::functional;
///   auto y = F::dropout(x, F::DropoutFuncOptions().p(0.2).training(is_training()));
#include "nabla/nn/options/dropout.h"
#include "nabla/tensor.h"

namespace nabla {

/// Zeroes each element with probability p and scales the others by 1 / (1 - p) when train;
/// returns input itself when !train, p == 0 or input is empty. grad_fn: MulBackward0.
Tensor dropout(const Tensor& input, double p, bool train);
/// In-place dropout (input is returned).
Tensor& dropout_(Tensor& input, double p, bool train);
/// Dropout of whole channels: one draw per (N, C) of input (N, C, ...), at least 2-D.
Tensor feature_dropout(const Tensor& input, double p, bool train);
/// In-place feature dropout.
Tensor& feature_dropout_(Tensor& input, double p, bool train);

namespace nn::functional {

/// torch.nn.functional.dropout.
Tensor dropout(Tensor input, const DropoutFuncOptions& options = {});
/// Channel dropout of a 4-D (N, C, H, W) input; any other input is taken as unbatched
/// (C, H, W) and gets a batch dim of 1 for the draw, as libtorch's dropout2d.
Tensor dropout2d(Tensor input, const Dropout2dFuncOptions& options = {});

}  // namespace nn::functional
}  // namespace nabla
