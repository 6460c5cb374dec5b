// BatchNorm1d / BatchNorm2d / BatchNorm3d (Python's _BatchNorm).
#include "nabla/nn/modules/batchnorm.h"

#include <sstream>

#include "nabla/functions.h"
#include "nabla/nn/functional/batchnorm.h"
#include "nabla/nn/init.h"
#include "nn/repr.h"

namespace nabla::nn {
namespace detail {

template <typename Derived>
BatchNormImplBase<Derived>::BatchNormImplBase(const BatchNormOptions& options_) : options(options_) {
  reset();
}

template <typename Derived>
void BatchNormImplBase<Derived>::reset() {
  const int64_t c = options.num_features();
  if (options.affine()) {
    weight = this->register_parameter("weight", empty({c}));
    bias = this->register_parameter("bias", empty({c}));
  } else {
    weight = this->register_parameter("weight", Tensor(), false);
    bias = this->register_parameter("bias", Tensor(), false);
  }
  if (options.track_running_stats()) {
    running_mean = this->register_buffer("running_mean", zeros({c}));
    running_var = this->register_buffer("running_var", ones({c}));
    num_batches_tracked = this->register_buffer("num_batches_tracked", zeros({}, TensorOptions(kLong)));
  } else {
    running_mean = this->register_buffer("running_mean", Tensor());
    running_var = this->register_buffer("running_var", Tensor());
    num_batches_tracked = this->register_buffer("num_batches_tracked", Tensor());
  }
  reset_parameters();
}

template <typename Derived>
void BatchNormImplBase<Derived>::reset_running_stats() {
  if (!options.track_running_stats()) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

template <typename Derived>
void BatchNormImplBase<Derived>::reset_parameters() {
  reset_running_stats();
  if (options.affine()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

template <typename Derived>
Tensor BatchNormImplBase<Derived>::forward(const Tensor& input) {
  check_input_dim(input);
  double factor = options.momentum().value_or(0.0);
  if (this->is_training() && options.track_running_stats() && num_batches_tracked.defined()) {
    {
      NoGradGuard no_grad;
      num_batches_tracked.add_(1);
    }
    if (!options.momentum()) factor = 1.0 / num_batches_tracked.template item<double>();
  }
  // Without running statistics, eval mode normalises with the batch's too.
  const bool use_batch_stats = this->is_training() || !running_mean.defined();
  return functional::batch_norm(input, running_mean, running_var,
                                functional::BatchNormFuncOptions()
                                    .weight(weight)
                                    .bias(bias)
                                    .training(use_batch_stats)
                                    .momentum(factor)
                                    .eps(options.eps()));
}

template <typename Derived>
std::string BatchNormImplBase<Derived>::extra_repr() const {
  std::ostringstream os;
  os << options.num_features() << ", eps=" << python_float_repr(options.eps())
     << ", momentum=" << (options.momentum() ? python_float_repr(*options.momentum()) : "None")
     << ", affine=" << (options.affine() ? "True" : "False")
     << ", track_running_stats=" << (options.track_running_stats() ? "True" : "False");
  return os.str();
}

template class BatchNormImplBase<BatchNorm1dImpl>;
template class BatchNormImplBase<BatchNorm2dImpl>;
template class BatchNormImplBase<BatchNorm3dImpl>;

}  // namespace detail

void BatchNorm1dImpl::check_input_dim(const Tensor& input) const {
  NABLA_CHECK(input.dim() == 2 || input.dim() == 3, "expected 2D or 3D input (got ", input.dim(), "D input)");
}
void BatchNorm2dImpl::check_input_dim(const Tensor& input) const {
  NABLA_CHECK(input.dim() == 4, "expected 4D input (got ", input.dim(), "D input)");
}
void BatchNorm3dImpl::check_input_dim(const Tensor& input) const {
  NABLA_CHECK(input.dim() == 5, "expected 5D input (got ", input.dim(), "D input)");
}

}  // namespace nabla::nn
