// LayerNorm and GroupNorm modules.
#include "nabla/nn/modules/normalization.h"

#include <sstream>

#include "nabla/functions.h"
#include "nabla/nn/functional/normalization.h"
#include "nabla/nn/init.h"
#include "nn/repr.h"

namespace nabla::nn {

LayerNormImpl::LayerNormImpl(LayerNormOptions options_) : options(std::move(options_)) { reset(); }

void LayerNormImpl::reset() {
  if (options.elementwise_affine()) {
    weight = register_parameter("weight", nabla::empty(options.normalized_shape()));
    bias = register_parameter("bias", nabla::empty(options.normalized_shape()));
  } else {
    weight = register_parameter("weight", Tensor(), false);
    bias = register_parameter("bias", Tensor(), false);
  }
  reset_parameters();
}

void LayerNormImpl::reset_parameters() {
  if (!options.elementwise_affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor LayerNormImpl::forward(const Tensor& input) {
  return nabla::layer_norm(input, options.normalized_shape(), weight, bias, options.eps());
}

std::string LayerNormImpl::extra_repr() const {
  std::ostringstream os;
  const auto& shape = options.normalized_shape();
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << (shape.size() == 1 ? ",)" : ")") << ", eps=" << detail::python_float_repr(options.eps())
     << ", elementwise_affine=" << (options.elementwise_affine() ? "True" : "False");
  return os.str();
}

GroupNormImpl::GroupNormImpl(const GroupNormOptions& options_) : options(options_) { reset(); }

void GroupNormImpl::reset() {
  NABLA_CHECK(options.num_groups() != 0 && options.num_channels() % options.num_groups() == 0,
              "num_channels must be divisible by num_groups");
  if (options.affine()) {
    weight = register_parameter("weight", empty({options.num_channels()}));
    bias = register_parameter("bias", empty({options.num_channels()}));
  } else {
    weight = register_parameter("weight", Tensor(), false);
    bias = register_parameter("bias", Tensor(), false);
  }
  reset_parameters();
}

void GroupNormImpl::reset_parameters() {
  if (!options.affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor GroupNormImpl::forward(const Tensor& input) {
  return functional::group_norm(
      input, functional::GroupNormFuncOptions(options.num_groups()).weight(weight).bias(bias).eps(options.eps()));
}

std::string GroupNormImpl::extra_repr() const {
  std::ostringstream os;
  os << options.num_groups() << ", " << options.num_channels() << ", eps=" << detail::python_float_repr(options.eps())
     << ", affine=" << (options.affine() ? "True" : "False");
  return os.str();
}

}  // namespace nabla::nn
