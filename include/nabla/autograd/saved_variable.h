#pragma once
/// SavedVariable: a tensor a backward function needs, with the version it had when saved.
#include <memory>

#include "nabla/autograd/node.h"

namespace nabla::autograd {

class SavedVariable {
 public:
  SavedVariable() = default;
  /// is_output: t is an output of the node that saves it; it is then kept without its
  /// autograd metadata (no reference cycle node → tensor → node) and reconnected on unpack.
  SavedVariable(const Tensor& t, bool is_output);
  /// The saved tensor; throws PyTorch's errors if it was freed or modified in place.
  /// `owner` is the node that saved it (used to reconnect a saved output).
  Tensor unpack(Node* owner) const;
  void reset() {
    data_ = Tensor();
    freed_ = true;
  }
  bool defined() const { return was_defined_; }
  /// What graph pictures show about it (nabla::viz).
  SavedInfo info() const { return SavedInfo{data_, version_, is_output_, freed_}; }

 private:
  Tensor data_;
  uint32_t version_ = 0;
  uint32_t output_nr_ = 0;
  bool is_output_ = false;
  bool was_defined_ = false;
  bool freed_ = false;
  bool requires_grad_ = false;
};

/// Throws PyTorch's error for using saved tensors after backward freed them ("Trying to
/// backward through the graph a second time ...").
[[noreturn]] void raise_backward_twice();

}  // namespace nabla::autograd
