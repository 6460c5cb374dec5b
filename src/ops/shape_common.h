#pragma once
// Internal helpers shared by the shape and indexing op families (shape.cpp, shape_slice.cpp,
// shape_join.cpp, index.cpp, indexing.cpp).
#include <optional>
#include <vector>

#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "nabla/tensor.h"

namespace nabla::ops {

/// Appends the values of r to v.
inline void append(DimVector& v, IntArrayRef r) {
  for (int64_t x : r) v.push_back(x);
}

/// Sizes with one -1 inferred from numel, with PyTorch's errors ("shape '[7]' is invalid ...").
DimVector infer_size(IntArrayRef shape, int64_t numel);
/// wrap_dim for ops that need at least one dimension: a 0-dim tensor gives
/// "Dimension specified as 0 but tensor has no dimensions".
int64_t wrap_dim_strict(int64_t dim, int64_t ndim);
/// A contiguous copy of t, outside autograd.
inline Tensor clone_plain(const Tensor& t) {
  Tensor out = core::empty(t.sizes(), t.scalar_type());
  kernels::copy_(out, t);
  return out;
}
/// A view of t with the same geometry, recorded as AliasBackward0 (x[...]).
Tensor alias(const Tensor& t);

/// Advanced indexing, PyTorch's aten::index: one optional int64 index tensor per leading dim of
/// self (undefined = the whole dim), broadcast together. Differentiable (IndexBackward0).
Tensor index(const Tensor& self, const std::vector<Tensor>& indices);
/// Out-of-place index_put (self is not modified): the result of
/// self.clone().index_put_(indices, value, accumulate). Differentiable (IndexPutImplBackward0).
Tensor index_put(const Tensor& self, const std::vector<Tensor>& indices, const Tensor& value, bool accumulate);
/// In-place form of index_put, recorded as IndexPutBackward0.
Tensor& index_put_(Tensor& self, const std::vector<Tensor>& indices, const Tensor& value, bool accumulate);

}  // namespace nabla::ops
