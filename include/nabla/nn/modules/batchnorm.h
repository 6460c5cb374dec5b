#pragma once
/// Batch normalisation modules, as libtorch's: nn::BatchNorm1d ((N, C) or (N, C, L)),
/// nn::BatchNorm2d ((N, C, H, W)), nn::BatchNorm3d ((N, C, D, H, W)). Parameters weight
/// (ones) and bias (zeros) when affine; buffers running_mean (zeros), running_var (ones) and
/// num_batches_tracked (int64 0) when track_running_stats. Training normalises with the
/// batch statistics and updates the running ones; eval uses the running ones.
///   nn::BatchNorm2d bn(32);
///   auto y = bn(x);                 // x: (N, 32, H, W)
///   std::cout << bn;                // BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, ...)
#include <string>

#include "nabla/nn/module.h"
#include "nabla/nn/options/batchnorm.h"

namespace nabla::nn {

namespace detail {

/// What the BatchNorm modules share; Derived checks the input's dims.
template <typename Derived>
class BatchNormImplBase : public Cloneable<Derived> {
 public:
  explicit BatchNormImplBase(const BatchNormOptions& options_);

  /// Creates the parameters and buffers and initialises them.
  void reset() override;
  /// running_mean = 0, running_var = 1, num_batches_tracked = 0.
  void reset_running_stats();
  /// reset_running_stats(), then weight = 1 and bias = 0.
  void reset_parameters();
  /// Normalises input with the batch statistics (training) or the running ones (eval);
  /// momentum nullopt gives the cumulative average 1 / num_batches_tracked.
  Tensor forward(const Tensor& input);
  /// `32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True`.
  std::string extra_repr() const override;

  BatchNormOptions options;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 protected:
  /// Python's _check_input_dim.
  virtual void check_input_dim(const Tensor& input) const = 0;
};

}  // namespace detail

/// Batch normalisation of (N, C) or (N, C, L) inputs.
class BatchNorm1dImpl : public detail::BatchNormImplBase<BatchNorm1dImpl> {
 public:
  explicit BatchNorm1dImpl(int64_t num_features) : BatchNorm1dImpl(BatchNormOptions(num_features)) {}
  explicit BatchNorm1dImpl(const BatchNormOptions& options_) : BatchNormImplBase(options_) {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};
NABLA_MODULE(BatchNorm1d);

/// Batch normalisation of (N, C, H, W) inputs.
class BatchNorm2dImpl : public detail::BatchNormImplBase<BatchNorm2dImpl> {
 public:
  explicit BatchNorm2dImpl(int64_t num_features) : BatchNorm2dImpl(BatchNormOptions(num_features)) {}
  explicit BatchNorm2dImpl(const BatchNormOptions& options_) : BatchNormImplBase(options_) {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};
NABLA_MODULE(BatchNorm2d);

/// Batch normalisation of (N, C, D, H, W) inputs.
class BatchNorm3dImpl : public detail::BatchNormImplBase<BatchNorm3dImpl> {
 public:
  explicit BatchNorm3dImpl(int64_t num_features) : BatchNorm3dImpl(BatchNormOptions(num_features)) {}
  explicit BatchNorm3dImpl(const BatchNormOptions& options_) : BatchNormImplBase(options_) {}

 protected:
  void check_input_dim(const Tensor& input) const override;
};
NABLA_MODULE(BatchNorm3d);

}  // namespace nabla::nn
