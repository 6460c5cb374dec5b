// MaxPool2d, AvgPool2d, AdaptiveAvgPool2d: thin modules over the functional ops, printed as
// Python prints them (a size given as one number prints as that number).
#include "nabla/nn/modules/pooling.h"

#include <sstream>

#include "nabla/nn/functional/pooling.h"

namespace nabla::nn {

namespace {

// Python prints the value it was given: `2` for nn.MaxPool2d(2), `(2, 3)` for a tuple. The
// options keep two values, so equal values print as one number.
std::string size_str(const ExpandingArray<2>& a) {
  std::ostringstream os;
  if ((*a)[0] == (*a)[1]) {
    os << (*a)[0];
  } else {
    os << "(" << (*a)[0] << ", " << (*a)[1] << ")";
  }
  return os.str();
}

std::string optional_size_str(const ExpandingArrayWithOptionalElem<2>& a) {
  std::ostringstream os;
  auto one = [&](const std::optional<int64_t>& v) {
    if (v) {
      os << *v;
    } else {
      os << "None";
    }
  };
  if ((*a)[0] == (*a)[1] && (*a)[0]) {
    one((*a)[0]);
  } else {
    os << "(";
    one((*a)[0]);
    os << ", ";
    one((*a)[1]);
    os << ")";
  }
  return os.str();
}

}  // namespace

MaxPool2dImpl::MaxPool2dImpl(const MaxPool2dOptions& options_) : options(options_) {}

std::string MaxPool2dImpl::extra_repr() const {
  std::ostringstream os;
  os << "kernel_size=" << size_str(options.kernel_size()) << ", stride=" << size_str(options.stride())
     << ", padding=" << size_str(options.padding()) << ", dilation=" << size_str(options.dilation())
     << ", ceil_mode=" << (options.ceil_mode() ? "True" : "False");
  return os.str();
}

Tensor MaxPool2dImpl::forward(const Tensor& input) { return functional::max_pool2d(input, options); }

std::tuple<Tensor, Tensor> MaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool2d_with_indices(input, options);
}

AvgPool2dImpl::AvgPool2dImpl(const AvgPool2dOptions& options_) : options(options_) {}

std::string AvgPool2dImpl::extra_repr() const {
  std::ostringstream os;
  os << "kernel_size=" << size_str(options.kernel_size()) << ", stride=" << size_str(options.stride())
     << ", padding=" << size_str(options.padding());
  return os.str();
}

Tensor AvgPool2dImpl::forward(const Tensor& input) { return functional::avg_pool2d(input, options); }

AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options_) : options(options_) {}

std::string AdaptiveAvgPool2dImpl::extra_repr() const {
  std::ostringstream os;
  os << "output_size=" << optional_size_str(options.output_size());
  return os.str();
}

Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) { return functional::adaptive_avg_pool2d(input, options); }

}  // namespace nabla::nn
