#pragma once
// Internal helpers shared by ops and kernels: allocation of results, dim wrapping, broadcasting.
#include "nabla/tensor.h"

namespace nabla::core {

/// The bytes of a tensor of these sizes and strides (a contiguous one when strides is empty),
/// checked as PyTorch checks them: no negative dimension ("Trying to create tensor with
/// negative dimension -4: [2, -4]"), no overflow of the element or byte count ("Storage size
/// calculation overflowed with sizes=[...]").
size_t storage_nbytes(IntArrayRef sizes, size_t element_size, IntArrayRef strides = {});

/// A new contiguous tensor (uninitialised data, no autograd).
inline Tensor empty(IntArrayRef sizes, ScalarType dtype) {
  auto storage = StorageImpl::allocate(storage_nbytes(sizes, elementSize(dtype)));
  DimVector strides = contiguous_strides(sizes);
  return Tensor(make_intrusive<TensorImpl>(std::move(storage), dtype, sizes, strides, 0));
}

/// A tensor sharing t's storage with other geometry (a view, no autograd).
inline Tensor alias_with(const Tensor& t, IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  return Tensor(make_intrusive<TensorImpl>(t.impl()->storage(), t.scalar_type(), sizes, strides, offset));
}
/// A tensor sharing t's storage and geometry, without t's autograd metadata.
inline Tensor alias(const Tensor& t) { return alias_with(t, t.sizes(), t.strides(), t.storage_offset()); }

/// PyTorch's dim wrapping: -1 is the last dim; a 0-dim tensor accepts -1 and 0.
int64_t wrap_dim(int64_t dim, int64_t ndim);
/// Wraps a list of dims and checks for repeats ("dim 1 appears multiple times in the list of dims").
DimVector wrap_dims(IntArrayRef dims, int64_t ndim);

/// Broadcast shape of two shapes, with PyTorch's error text.
DimVector broadcast_shape(IntArrayRef a, IntArrayRef b);

/// The dtype of `a op b` following PyTorch's promotion with 0-dim tensors and scalars
/// participating only by category (Note [Type promotion]).
ScalarType result_type(std::initializer_list<const Tensor*> operands);
ScalarType result_type_scalar(const Tensor& t, const Scalar& s);

/// PyTorch's canCast: no floating → integral and no non-bool → bool conversion for results.
inline bool can_cast(ScalarType from, ScalarType to) {
  if (isFloatingType(from) && !isFloatingType(to)) return false;
  if (from != kBool && to == kBool) return false;
  return true;
}

/// The shape string as PyTorch prints it in messages: [2, 3]
std::string shape_str(IntArrayRef s);

}  // namespace nabla::core
