#pragma once
// Shared pieces of the reduction family (reduce.cpp, reduce_minmax.cpp, reduce_stats.cpp,
// softmax.cpp): dim handling, constant masks for backward formulas, and small internal
// differentiable ops used by the backward formulas.
#include <cmath>

#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/reduce.h"
#include "nabla/functions.h"

namespace nabla::ops {

/// Accumulation type: double for floating types, int64 for integral types and bool.
template <typename T>
using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

/// Wrapped dims to reduce; an empty list means every dim (PyTorch's dim=[]).
DimVector reduction_dims(const Tensor& t, IntArrayRef dim);
/// g (a reduction result over `dims`) with the reduced dims put back as size 1, so that it
/// broadcasts against the input (no-op when keepdim).
Tensor restore_reduced(const Tensor& g, IntArrayRef dims, bool keepdim);
/// The product of the sizes of the reduced dims.
int64_t reduced_numel(const Tensor& t, IntArrayRef dims);

/// (w != 0 ? g * w : 0) elementwise, broadcasting g to w's shape; w is a constant (no grad).
/// Unlike g * w it gives 0 where w is 0 even when g is inf or nan, as PyTorch's masked_fill
/// in backward formulas does. Differentiable in g (its backward is itself).
Tensor masked_scale(const Tensor& g, const Tensor& w);

/// Constant (no autograd) tensor of t's shape and dtype: out[i] = f(t[i]) computed in double.
template <typename F>
Tensor map_const(const Tensor& t, F f) {
  Tensor out = core::empty(t.sizes(), t.scalar_type());
  NABLA_DISPATCH_FLOATING_TYPES(t.scalar_type(), "map", [&] {
    kernels::unary_loop<scalar_t, scalar_t>(out, t.detach(), [&](scalar_t x) {
      return static_cast<scalar_t>(f(static_cast<double>(x)));
    });
  });
  return out;
}
/// Constant tensor of the broadcast shape: out[i] = f(a[i], b[i]) computed in double (a's dtype).
template <typename F>
Tensor map2_const(const Tensor& a, const Tensor& b, F f) {
  Tensor out = core::empty(core::broadcast_shape(a.sizes(), b.sizes()), a.scalar_type());
  NABLA_DISPATCH_FLOATING_TYPES(a.scalar_type(), "map", [&] {
    Tensor bb = kernels::to_dtype(b.detach(), a.scalar_type());
    kernels::binary_loop<scalar_t, scalar_t>(out, a.detach(), bb, [&](scalar_t x, scalar_t y) {
      return static_cast<scalar_t>(f(static_cast<double>(x), static_cast<double>(y)));
    });
  });
  return out;
}

/// out = zeros(shape) with out[..., idx[...], ...] = g[...] along dim (g and idx have shape
/// with size 1 at dim): the backward of max/min with a dim. Differentiable in g.
Tensor index_scatter(const Tensor& g, const Tensor& idx, int64_t dim, IntArrayRef shape);

/// Checks PyTorch's rules for an out= argument and resizes out to `shape` when it differs
/// (warning when a non-empty out is resized).
void prepare_out(Tensor& out, const char* op, IntArrayRef shape, std::initializer_list<const Tensor*> inputs);

}  // namespace nabla::ops
