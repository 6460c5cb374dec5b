#pragma once
// Shared pieces of the elementwise op family: promotion, result allocation, typed loops.
#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/loops.h"
#include "nabla/functions.h"

namespace nabla::ops {

/// t converted to dtype (no copy when it already has it; geometry kept otherwise).
inline Tensor cast(const Tensor& t, ScalarType dtype) {
  if (t.scalar_type() == dtype) return t;
  Tensor out = core::empty(t.sizes(), dtype);
  kernels::copy_(out, t);
  return out;
}

/// A 0-dim tensor holding s as dtype (how scalar operands enter tensor ops).
inline Tensor wrap_scalar(const Scalar& s, ScalarType dtype) {
  Tensor t = core::empty({}, dtype);
  kernels::fill_(t, s);
  return t;
}

/// out = f(a, b) elementwise, computed in `compute` and stored as `out_dtype` (compute or bool).
template <typename F>
Tensor binary_op(const Tensor& a, const Tensor& b, ScalarType compute, ScalarType out_dtype, const char* name, F f) {
  Tensor out = core::empty(core::broadcast_shape(a.sizes(), b.sizes()), out_dtype);
  Tensor x = cast(a, compute), y = cast(b, compute);
  NABLA_DISPATCH_ALL_TYPES(compute, name, [&] {
    if (out_dtype == compute) {
      kernels::binary_loop<scalar_t, scalar_t>(out, x, y, [&](scalar_t u, scalar_t v) { return f(u, v); });
    } else {
      kernels::binary_loop<bool, scalar_t>(out, x, y, [&](scalar_t u, scalar_t v) { return static_cast<bool>(f(u, v)); });
    }
  });
  return out;
}

}  // namespace nabla::ops
