// Dropout and Dropout2d modules.
#include "nabla/nn/modules/dropout.h"

#include "nabla/nn/functional/dropout.h"
#include "nn/repr.h"

namespace nabla::nn {

namespace {

void check_p(double p) { NABLA_CHECK(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got ", p); }

std::string dropout_repr(const DropoutOptions& o) {
  return "p=" + detail::python_float_repr(o.p()) + ", inplace=" + (o.inplace() ? "True" : "False");
}

}  // namespace

DropoutImpl::DropoutImpl(const DropoutOptions& options_) : options(options_) { reset(); }
void DropoutImpl::reset() { check_p(options.p()); }
Tensor DropoutImpl::forward(Tensor input) {
  return functional::dropout(
      std::move(input),
      functional::DropoutFuncOptions().p(options.p()).inplace(options.inplace()).training(is_training()));
}
std::string DropoutImpl::extra_repr() const { return dropout_repr(options); }

Dropout2dImpl::Dropout2dImpl(const Dropout2dOptions& options_) : options(options_) { reset(); }
void Dropout2dImpl::reset() { check_p(options.p()); }
Tensor Dropout2dImpl::forward(Tensor input) {
  return functional::dropout2d(
      std::move(input),
      functional::Dropout2dFuncOptions().p(options.p()).inplace(options.inplace()).training(is_training()));
}
std::string Dropout2dImpl::extra_repr() const { return dropout_repr(options); }

}  // namespace nabla::nn
