#pragma once
/// Linear maps: nabla::linear / bilinear (as torch::linear, torch::bilinear) and their
/// nn::functional:: spellings.
///   namespace F = nabla::nn::functional;
///   auto y = F::linear(x, w, b);   // x @ w.t() + b, grad_fn AddmmBackward0 for 2-D x
#include "nabla/tensor.h"

namespace nabla {

/// input @ weight.t() + bias over the last dim of input. As PyTorch: a 2-D input with a bias
/// is one fused node (AddmmBackward0); a contiguous 3-D input with a bias is flattened into
/// it (ViewBackward0); otherwise matmul then add (AddBackward0).
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
/// out[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] (+ bias[o]).
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias = {});

namespace nn::functional {

/// torch.nn.functional.linear.
inline Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {}) {
  return nabla::linear(input, weight, bias);
}
/// torch.nn.functional.bilinear.
inline Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias = {}) {
  return nabla::bilinear(input1, input2, weight, bias);
}

}  // namespace nn::functional
}  // namespace nabla
