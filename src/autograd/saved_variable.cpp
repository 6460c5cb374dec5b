#include "autograd/saved_variable.h"

#include "core/internal.h"
#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/meta.h"

namespace nabla::autograd {

void raise_backward_twice() {
  throw Error(
      "Trying to backward through the graph a second time (or directly access saved tensors "
      "after they have already been freed). Saved intermediate values of the graph are freed "
      "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
      "backward through the graph a second time or if you need to access saved tensors after "
      "calling backward.");
}

SavedVariable::SavedVariable(const Tensor& t, bool is_output) {
  if (!t.defined()) return;
  was_defined_ = true;
  is_output_ = is_output;
  version_ = t._version();
  if (is_output) {
    // Keep the data without the autograd metadata: the output's grad_fn is the node that
    // saves it, and a strong reference back would be a cycle.
    data_ = core::alias(t);
    output_nr_ = t.output_nr();
    requires_grad_ = isFloatingType(t.scalar_type());
  } else {
    data_ = t;
  }
}

Tensor SavedVariable::unpack(Node* owner) const {
  if (!was_defined_) return Tensor();
  if (freed_) raise_backward_twice();
  if (data_._version() != version_) {
    std::string which;
    if (is_output_ && owner) {
      which = nabla::detail::str(", which is output ", output_nr_, " of ", owner->name(), ",");
    } else if (auto& fn = data_.grad_fn()) {
      which = nabla::detail::str(", which is output ", data_.output_nr(), " of ", fn->name(), ",");
    }
    throw Error(nabla::detail::str(
        "one of the variables needed for gradient computation has been modified by an inplace "
        "operation: [",
        legacyTypeName(data_.scalar_type()), " ", data_.sizes(), "]", which, " is at version ",
        data_._version(), "; expected version ", version_,
        " instead. Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True)."));
  }
  if (is_output_ && requires_grad_ && owner && GradMode::is_enabled()) {
    // Building a graph of the backward pass: the saved output must lead back to its node.
    Tensor t = core::alias(data_);
    set_history(t, owner->shared_from_this(), output_nr_);
    return t;
  }
  return data_;
}

}  // namespace nabla::autograd
