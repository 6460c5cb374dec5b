#pragma once
/// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (libtorch's
/// signatures: the total norm comes back as a double).
///   loss.backward();
///   double norm = nn::utils::clip_grad_norm_(model->parameters(), 1.0);
#include <initializer_list>
#include <limits>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::nn::utils {

/// Scales the gradients of `parameters` in place so that their joint norm (the norm of the
/// per-gradient norms; norm_type may be infinity) is at most max_norm, and returns that norm
/// as it was before clipping. Parameters without a gradient are skipped; with none, 0.
/// error_if_nonfinite raises PyTorch's error when the norm is NaN or infinite.
double clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
double clip_grad_norm_(std::initializer_list<Tensor> parameters, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);
double clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient to [-clip_value, clip_value] in place.
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(std::initializer_list<Tensor> parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);

}  // namespace nabla::nn::utils
