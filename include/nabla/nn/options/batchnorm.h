#pragma once
/// Options of BatchNorm1d/2d and of nn::functional::batch_norm, as libtorch's.
///   nn::BatchNorm2d bn(nn::BatchNorm2dOptions(32).momentum(0.01).affine(false));
#include <cstdint>
#include <optional>

#include "nabla/nn/options.h"
#include "nabla/tensor.h"

namespace nabla::nn {

/// Options of the BatchNorm modules.
struct BatchNormOptions {
  /* implicit */ BatchNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT
  /// C of an input of shape (N, C, ...).
  NABLA_ARG(int64_t, num_features);
  /// Added to the variance for numerical stability.
  NABLA_ARG(double, eps) = 1e-5;
  /// Factor of the running-average update; nullopt gives a cumulative moving average
  /// (Python's momentum=None).
  NABLA_ARG(std::optional<double>, momentum) = 0.1;
  /// Learnable per-channel weight (ones) and bias (zeros).
  NABLA_ARG(bool, affine) = true;
  /// Keep running_mean / running_var / num_batches_tracked buffers and use them in eval mode.
  NABLA_ARG(bool, track_running_stats) = true;
};
using BatchNorm1dOptions = BatchNormOptions;
using BatchNorm2dOptions = BatchNormOptions;
using BatchNorm3dOptions = BatchNormOptions;

namespace functional {
/// Options of nn::functional::batch_norm.
struct BatchNormFuncOptions {
  NABLA_ARG(Tensor, weight) = Tensor();
  NABLA_ARG(Tensor, bias) = Tensor();
  /// Normalise with the batch statistics (and update the running ones) instead of the
  /// running statistics.
  NABLA_ARG(bool, training) = false;
  NABLA_ARG(std::optional<double>, momentum) = 0.1;
  NABLA_ARG(double, eps) = 1e-5;
};
}  // namespace functional

}  // namespace nabla::nn
