#pragma once
// Shared pieces of the elementwise op family: promotion, result allocation, typed loops,
// the rules of in-place and out= forms.
#include <cmath>
#include <initializer_list>
#include <type_traits>

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

/// t in its compute type (Note [Narrow dtypes compute wide]): how a kernel that is not run
/// through autograd::apply (comparisons, where, masked_fill) takes float16, int16, int8 operands.
inline Tensor compute_operand(const Tensor& t) {
  return isNarrowType(t.scalar_type()) ? cast(t, computeType(t.scalar_type())) : t;
}

/// PyTorch's check of a fill value for int8, int16 and float16 (full, fill_): "value cannot be
/// converted to type int8_t without overflow". Operands of arithmetic wrap instead (t + 1000).
void check_fill_value(ScalarType dtype, const Scalar& v);

/// A 0-dim tensor holding s as dtype (how scalar operands enter tensor ops).
inline Tensor wrap_scalar(const Scalar& s, ScalarType dtype) {
  Tensor t = core::empty({}, dtype);
  kernels::fill_(t, s);
  return t;
}

/// out = f(a, b) elementwise, computed in T and stored as R (T, or bool for comparisons). Typed
/// rather than dispatched: every caller already dispatched on the promoted dtype, and a second
/// dispatch here would instantiate the loops once per pair of dtypes.
template <typename R, typename T, typename F>
Tensor binary_op(const Tensor& a, const Tensor& b, F f) {
  constexpr ScalarType compute = CppTypeToScalarType<T>::value;
  Tensor out = core::empty(core::broadcast_shape(a.sizes(), b.sizes()), CppTypeToScalarType<R>::value);
  // Converted copies only where the dtype differs (no refcount traffic otherwise).
  Tensor xc, yc;
  const Tensor& x = a.scalar_type() == compute ? a : (xc = cast(a, compute));
  const Tensor& y = b.scalar_type() == compute ? b : (yc = cast(b, compute));
  kernels::binary_loop<R, T>(out, x, y, f);
  return out;
}

/// NaN test that is false for integer and bool types.
template <typename T>
inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  else return false;
}

/// out = cond ? a : b elementwise, a and b converted to dtype; all three broadcast together
/// (the kernel of where and masked_fill; no autograd).
Tensor select(const Tensor& cond, const Tensor& a, const Tensor& b, ScalarType dtype);

/// The dtype of `t op s1 op s2` for the present scalars (PyTorch's promotion: the scalar of
/// the highest category decides).
ScalarType result_type_scalars(const Tensor& t, const std::optional<Scalar>& s1, const std::optional<Scalar>& s2);

/// PyTorch's check for in-place ops: self's shape must be the broadcast of self and others
/// ("output with shape [3] doesn't match the broadcast shape [2, 3]").
void check_inplace_shape(const Tensor& self, std::initializer_list<const Tensor*> others);

/// The checks of an out= form before computing: no argument may require grad while grad mode
/// is on ("add(): functions with out=... arguments don't support automatic differentiation ...").
void check_out_args(const char* name, std::initializer_list<const Tensor*> inputs);
/// The exact-dtype rule of some out= forms (neg, abs): "Found dtype Long but expected Float".
void check_out_dtype(const Tensor& out, const Tensor& result);
/// Writes an out= form's result into out: the result dtype must cast to out's dtype; out is
/// resized (with PyTorch's warning when it had elements) to the result's shape.
Tensor& write_out(Tensor& out, const Tensor& result);

}  // namespace nabla::ops
