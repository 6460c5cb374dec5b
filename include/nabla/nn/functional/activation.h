#pragma once
/// Activation functions: the top-level ops (as libtorch's torch::gelu, torch::elu, ...) and
/// their nn::functional forms with *FuncOptions.
///   auto y = nabla::gelu(x, "tanh");
///   namespace F = nabla::nn::functional;
///   auto z = F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(0.2));
/// relu, sigmoid, tanh, softmax and log_softmax are in nabla/functions.h.
#include <string_view>

#include "nabla/functions.h"
#include "nabla/nn/options/activation.h"

namespace nabla {

/// ELU: x for x > 0, alpha * (exp(x) - 1) otherwise (grad_fn EluBackward0).
Tensor elu(const Tensor& self, const Scalar& alpha = 1);
/// In-place ELU (grad_fn EluBackward1; its backward needs alpha >= 0).
Tensor& elu_(Tensor& self, const Scalar& alpha = 1);
/// Leaky ReLU: x for x > 0, negative_slope * x otherwise (grad_fn LeakyReluBackward0).
Tensor leaky_relu(const Tensor& self, const Scalar& negative_slope = 0.01);
/// In-place leaky ReLU (grad_fn LeakyReluBackward1; its backward needs negative_slope >= 0).
Tensor& leaky_relu_(Tensor& self, const Scalar& negative_slope = 0.01);
/// GELU: x * Φ(x) with approximate "none" (erf), or the "tanh" approximation.
Tensor gelu(const Tensor& self, std::string_view approximate = "none");
/// SiLU (swish): x * sigmoid(x).
Tensor silu(const Tensor& self);
/// Softplus: log(1 + exp(beta * x)) / beta, or x where beta * x > threshold.
Tensor softplus(const Tensor& self, const Scalar& beta = 1, const Scalar& threshold = 20);
/// Hardtanh: x clamped to [min_val, max_val] (gradient 0 outside the open interval).
Tensor hardtanh(const Tensor& self, const Scalar& min_val = -1, const Scalar& max_val = 1);
/// In-place hardtanh.
Tensor& hardtanh_(Tensor& self, const Scalar& min_val = -1, const Scalar& max_val = 1);
/// ReLU6: min(max(0, x), 6), computed as PyTorch does, by hardtanh(x, 0, 6).
inline Tensor relu6(const Tensor& self) { return hardtanh(self, 0, 6); }
/// In-place relu6.
inline Tensor& relu6_(Tensor& self) { return hardtanh_(self, 0, 6); }

namespace nn::functional {

/// relu(input), in place with options.inplace(true).
inline Tensor relu(Tensor input, const ReLUFuncOptions& options = {}) {
  return options.inplace() ? input.relu_() : nabla::relu(input);
}
/// relu6(input), in place with options.inplace(true).
inline Tensor relu6(Tensor input, const ReLU6FuncOptions& options = {}) {
  return options.inplace() ? nabla::relu6_(input) : nabla::relu6(input);
}
inline Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options = {}) {
  return options.inplace() ? nabla::leaky_relu_(input, options.negative_slope())
                           : nabla::leaky_relu(input, options.negative_slope());
}
inline Tensor elu(Tensor input, const ELUFuncOptions& options = {}) {
  return options.inplace() ? nabla::elu_(input, options.alpha()) : nabla::elu(input, options.alpha());
}
inline Tensor gelu(const Tensor& input, const GELUFuncOptions& options = {}) {
  return nabla::gelu(input, options.approximate());
}
inline Tensor silu(const Tensor& input) { return nabla::silu(input); }
inline Tensor softplus(const Tensor& input, const SoftplusFuncOptions& options = {}) {
  return nabla::softplus(input, options.beta(), options.threshold());
}
inline Tensor hardtanh(Tensor input, const HardtanhFuncOptions& options = {}) {
  return options.inplace() ? nabla::hardtanh_(input, options.min_val(), options.max_val())
                           : nabla::hardtanh(input, options.min_val(), options.max_val());
}
/// softmax along options.dim(), computed in options.dtype() when given.
inline Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options) {
  return nabla::softmax(input, options.dim(), options.dtype());
}
/// log_softmax along options.dim(), computed in options.dtype() when given.
inline Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options) {
  return nabla::log_softmax(input, options.dim(), options.dtype());
}

}  // namespace nn::functional
}  // namespace nabla
