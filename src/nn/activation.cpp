// The activation modules (include/nabla/nn/modules/activation.h): forward calls the
// functional form; extra_repr prints Python's.
#include "nabla/nn/modules/activation.h"

#include <cmath>

#include "nn/repr.h"

namespace nabla::nn {

namespace {

using detail::python_float_repr;

const char* inplace_suffix(bool inplace) { return inplace ? ", inplace=True" : ""; }

// Python prints Softplus's int defaults (beta=1, threshold=20) as ints.
std::string number_repr(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return python_float_repr(v);
}

}  // namespace

Tensor ReLUImpl::forward(Tensor input) { return functional::relu(std::move(input), options); }
std::string ReLUImpl::extra_repr() const { return options.inplace() ? "inplace=True" : ""; }

Tensor ReLU6Impl::forward(Tensor input) { return functional::relu6(std::move(input), options); }
std::string ReLU6Impl::extra_repr() const { return options.inplace() ? "inplace=True" : ""; }

Tensor LeakyReLUImpl::forward(Tensor input) { return functional::leaky_relu(std::move(input), options); }
std::string LeakyReLUImpl::extra_repr() const {
  return "negative_slope=" + python_float_repr(options.negative_slope()) + inplace_suffix(options.inplace());
}

Tensor ELUImpl::forward(Tensor input) { return functional::elu(std::move(input), options); }
std::string ELUImpl::extra_repr() const {
  return "alpha=" + python_float_repr(options.alpha()) + inplace_suffix(options.inplace());
}

GELUImpl::GELUImpl(GELUOptions options_) : options(std::move(options_)) { reset(); }
void GELUImpl::reset() {
  NABLA_CHECK(options.approximate() == "none" || options.approximate() == "tanh",
              "approximate argument must be either none or tanh.");
}
Tensor GELUImpl::forward(const Tensor& input) { return functional::gelu(input, options); }
std::string GELUImpl::extra_repr() const { return "approximate='" + options.approximate() + "'"; }

std::string SoftmaxImpl::extra_repr() const { return "dim=" + std::to_string(options.dim()); }
std::string LogSoftmaxImpl::extra_repr() const { return "dim=" + std::to_string(options.dim()); }

Tensor SoftplusImpl::forward(const Tensor& input) { return functional::softplus(input, options); }
std::string SoftplusImpl::extra_repr() const {
  return "beta=" + number_repr(options.beta()) + ", threshold=" + number_repr(options.threshold());
}

HardtanhImpl::HardtanhImpl(const HardtanhOptions& options_) : options(options_) { reset(); }
void HardtanhImpl::reset() {
  NABLA_CHECK(options.max_val() > options.min_val(), "max_val must be greater than min_val");
}
Tensor HardtanhImpl::forward(Tensor input) { return functional::hardtanh(std::move(input), options); }
std::string HardtanhImpl::extra_repr() const {
  return "min_val=" + python_float_repr(options.min_val()) + ", max_val=" + python_float_repr(options.max_val()) +
         inplace_suffix(options.inplace());
}

}  // namespace nabla::nn
