// Comparisons (eq ne lt le gt ge, returning bool), logical and bitwise ops, where(cond, a, b),
// masked_fill, clamp (scalar and tensor bounds), clamp_min/max, maximum/minimum.
#include <algorithm>

#include "ops/elementwise_common.h"

#include "nabla/warning.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;
using ops::wrap_scalar;

namespace {

// ---- comparisons and logical ops (not differentiable) -------------------------------------

/// out = f(a, b) as bool, computed in the promoted dtype of a and b.
template <typename F>
Tensor to_bool_op(const Tensor& a_, const Tensor& b_, const char* name, F f) {
  const Tensor a = ops::compute_operand(a_), b = ops::compute_operand(b_);
  const ScalarType dt = core::result_type({&a, &b});
  return NABLA_DISPATCH_ALL_TYPES(dt, name, [&] {
    return ops::binary_op<bool, scalar_t>(a, b, [&](scalar_t x, scalar_t y) { return f(x, y); });
  });
}

Tensor wrap_for(const Tensor& t, const Scalar& s) { return wrap_scalar(s, core::result_type_scalar(t, s)); }

/// Bitwise ops on integer and bool tensors (bool: logical).
template <typename F>
Tensor bitwise_op(const Tensor& a_, const Tensor& b_, const char* kernel, F f) {
  const ScalarType result = core::result_type({&a_, &b_});
  NABLA_CHECK(!isFloatingType(result), "\"", kernel, "\" not implemented for '", scalarTypeName(result), "'");
  const Tensor a = ops::compute_operand(a_), b = ops::compute_operand(b_);
  const ScalarType dt = core::result_type({&a, &b});
  return ops::cast(
      NABLA_DISPATCH_INTEGRAL_TYPES_AND_BOOL(
          dt, kernel,
          [&] { return ops::binary_op<scalar_t, scalar_t>(a, b, [&](scalar_t x, scalar_t y) { return f(x, y); }); }),
      result);
}

// Bitwise helpers, for the integer and bool types only.
enum class BitOp { And, Or, Xor };
template <BitOp Op, typename T>
T bit_op(T x, T y) {
  if constexpr (Op == BitOp::And) return static_cast<T>(x & y);
  else if constexpr (Op == BitOp::Or) return static_cast<T>(x | y);
  else return static_cast<T>(x ^ y);
}
template <typename T>
T bit_not(T x) {
  if constexpr (std::is_same_v<T, bool>) return !x;
  else return static_cast<T>(~x);
}

template <typename T>
T nan_max(T a, T b) {
  return (a > b || ops::is_nan(a)) ? a : b;
}
template <typename T>
T nan_min(T a, T b) {
  return (a < b || ops::is_nan(a)) ? a : b;
}

/// maximum (is_max) or minimum with NaN propagation, in the promoted dtype.
Tensor extremum(const Tensor& a, const Tensor& b, bool is_max) {
  const ScalarType dt = core::result_type({&a, &b});
  return NABLA_DISPATCH_ALL_TYPES(dt, is_max ? "maximum" : "minimum", [&] {
    if (is_max) return ops::binary_op<scalar_t, scalar_t>(a, b, [](scalar_t x, scalar_t y) { return nan_max(x, y); });
    return ops::binary_op<scalar_t, scalar_t>(a, b, [](scalar_t x, scalar_t y) { return nan_min(x, y); });
  });
}

// ---- where and masked_fill ------------------------------------------------------------------

struct Where {
  static constexpr const char* name = "WhereBackward0";
  Tensor forward(Ctx& ctx, const Tensor& cond, const Tensor& a, const Tensor& b) {
    NABLA_CHECK(cond.scalar_type() == kBool, "where expected condition to be a boolean tensor, but got a tensor with dtype ",
                scalarTypeName(cond.scalar_type()));
    ctx.save(cond);
    return ops::select(cond, a, b, core::result_type({&a, &b}));
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    const Tensor cond = ctx.saved(0);
    return {Tensor(), ctx.needs_input_grad(1) ? where(cond, g[0], 0) : Tensor(),
            ctx.needs_input_grad(2) ? where(cond, 0, g[0]) : Tensor()};
  }
};

/// where's condition: bool, or uint8 (deprecated, warned) converted to bool.
Tensor bool_condition(const Tensor& cond) {
  if (cond.scalar_type() != kByte) return cond;
  warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed in a future "
       "version of PyTorch. Use a boolean condition instead.");
  return ops::cast(cond, kBool);
}

/// A mask for masked_fill as bool: bool as is; uint8 (deprecated, warned) and other dtypes
/// only when every value is 0 or 1.
Tensor bool_mask(const Tensor& mask) {
  if (mask.scalar_type() == kBool) return mask;
  // PyTorch 1.13 treats a floating mask as all false (pytorch/pytorch#85063, a silently wrong
  // result); later versions refuse it, as here.
  NABLA_CHECK(!isFloatingType(mask.scalar_type()), "masked_fill_ only supports boolean masks, but got mask with dtype ",
              mask.scalar_type() == kFloat ? "float" : "double");
  if (mask.scalar_type() == kByte)
    warn("masked_fill_ received a mask with dtype torch.uint8, this behavior is now deprecated,please use a mask "
         "with dtype torch.bool instead.");
  Tensor bad = core::empty(mask.sizes(), kBool);
  const Tensor m = ops::compute_operand(mask);
  NABLA_DISPATCH_INTEGRAL_TYPES_AND_BOOL(m.scalar_type(), "masked_fill", [&] {
    kernels::unary_loop<bool, scalar_t>(bad, m, [](scalar_t v) { return v != scalar_t(0) && v != scalar_t(1); });
  });
  const bool* p = bad.data_ptr<bool>();
  NABLA_CHECK(std::none_of(p, p + bad.numel(), [](bool b) { return b; }), "Mask tensor can take 0 and 1 values only");
  return ops::cast(mask, kBool);
}

// masked_fill with a Scalar value: the result keeps self's dtype.
struct MaskedFill {
  static constexpr const char* name = "MaskedFillBackward0";
  Tensor forward(Ctx& ctx, const Tensor& self, const Tensor& mask, const Scalar& value) {
    ctx.save(mask);
    return ops::select(mask, wrap_scalar(value, self.scalar_type()), self, self.scalar_type());
  }
  variable_list backward(Ctx& ctx, const variable_list& g) { return {g[0].masked_fill(ctx.saved(0), 0), Tensor()}; }
};

struct MaskedFillTensor {
  static constexpr const char* name = "MaskedFillBackward1";
  Tensor forward(Ctx& ctx, const Tensor& self, const Tensor& mask, const Tensor& value) {
    NABLA_CHECK(value.dim() == 0, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
                value.dim(), " dimension(s).");
    ctx.save(mask);
    return ops::select(mask, value, self, self.scalar_type());
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    Tensor mask = ctx.saved(0);
    return {ctx.needs_input_grad(0) ? g[0].masked_fill(mask, 0) : Tensor(), Tensor(),
            ctx.needs_input_grad(2) ? where(mask, g[0], 0).sum() : Tensor()};
  }
};

// ---- clamp ----------------------------------------------------------------------------------

enum class ClampKind { Both, Min, Max };

/// t clamped to [lo, hi] (either may be absent), in the dtype of t and the bounds; not
/// recorded. One loop per dtype serves clamp, clamp_min and clamp_max.
Tensor clamp_scalars(const Tensor& t, const std::optional<Scalar>& lo, const std::optional<Scalar>& hi) {
  const ScalarType dt = ops::result_type_scalars(t, lo, hi);
  NABLA_CHECK(dt != kBool, "\"", lo && hi ? "clamp_scalar_cpu" : lo ? "clamp_min_cpu" : "clamp_max_scalar_cpu",
              "\" not implemented for 'Bool'");
  Tensor x = ops::cast(t, dt);
  Tensor out = core::empty(t.sizes(), dt);
  NABLA_DISPATCH_ALL_TYPES(dt, "clamp", [&] {
    const bool has_lo = lo.has_value(), has_hi = hi.has_value();
    const scalar_t l = has_lo ? lo->to<scalar_t>() : scalar_t(0), h = has_hi ? hi->to<scalar_t>() : scalar_t(0);
    kernels::unary_loop<scalar_t, scalar_t>(out, x, [=](scalar_t v) {
      if (has_lo && v < l) v = l;
      if (has_hi && h < v) v = h;
      return v;
    });
  });
  return out;
}

/// clamp with scalar bounds; the three PyTorch names (clamp, clamp_min, clamp_max) share it.
template <ClampKind K>
struct ClampScalar {
  static constexpr const char* name =
      K == ClampKind::Both ? "ClampBackward1" : K == ClampKind::Min ? "ClampMinBackward0" : "ClampMaxBackward0";
  std::optional<Scalar> lo, hi;
  Tensor forward(Ctx& ctx, const Tensor& t, const std::optional<Scalar>& lo_, const std::optional<Scalar>& hi_) {
    NABLA_CHECK(lo_ || hi_, "torch.clamp: At least one of 'min' or 'max' must not be None");
    lo = lo_;
    hi = hi_;
    ctx.save(t);
    return clamp_scalars(t, lo, hi);
  }
  // The gradient passes where min <= x <= max.
  variable_list backward(Ctx& ctx, const variable_list& g) {
    Tensor x = ctx.saved(0);
    Tensor pass = lo && hi ? logical_and(x >= *lo, x <= *hi) : lo ? x >= *lo : x <= *hi;
    return {where(pass, g[0], 0)};
  }
};

struct ClampTensor {
  static constexpr const char* name = "ClampBackward0";
  Tensor forward(Ctx& ctx, const Tensor& t, const std::optional<Tensor>& lo, const std::optional<Tensor>& hi) {
    const bool has_lo = lo && lo->defined(), has_hi = hi && hi->defined();
    NABLA_CHECK(has_lo || has_hi, "torch.clamp: At least one of 'min' or 'max' must not be None");
    ctx.save(t, has_lo ? *lo : Tensor(), has_hi ? *hi : Tensor());
    const ScalarType dt = core::result_type({&t, has_lo ? &*lo : &t, has_hi ? &*hi : &t});
    Tensor y = ops::cast(t, dt);
    if (has_lo) y = ops::cast(extremum(y, *lo, true), dt);
    if (has_hi) y = ops::cast(extremum(y, *hi, false), dt);
    return y;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, lo, hi] = ctx.saved<3>();
    const Tensor& gr = g[0];
    Tensor gx, glo, ghi;
    if (lo.defined() && hi.defined()) {
      if (ctx.needs_input_grad(0)) gx = where(logical_and(x >= lo, x <= hi), gr, 0);
      if (ctx.needs_input_grad(1)) glo = where(logical_and(x < lo, lo < hi), gr, 0);
      if (ctx.needs_input_grad(2)) ghi = where(logical_or(x > hi, hi < lo), gr, 0);
    } else if (lo.defined()) {
      if (ctx.needs_input_grad(0)) gx = where(x >= lo, gr, 0);
      if (ctx.needs_input_grad(1)) glo = where(x < lo, gr, 0);
    } else {
      if (ctx.needs_input_grad(0)) gx = where(x <= hi, gr, 0);
      if (ctx.needs_input_grad(2)) ghi = where(x > hi, gr, 0);
    }
    return {gx, glo, ghi};
  }
};

// In-place clamp: PyTorch names the target type by its C++ name in this message.
const char* cpp_type_name(ScalarType t) {
  switch (t) {
    case kByte: return "unsigned char";
    case kInt: return "int";
    case kLong: return "long int";
    case kBool: return "bool";
    case kFloat: return "float";
    default: return "double";
  }
}

template <ClampKind K>
Tensor& clamp_inplace(Tensor& self, const std::optional<Scalar>& lo, const std::optional<Scalar>& hi) {
  const ScalarType dt = ops::result_type_scalars(self, lo, hi);
  NABLA_CHECK(core::can_cast(dt, self.scalar_type()), "result type ", scalarTypeName(dt),
              " can't be cast to the desired output type ", cpp_type_name(self.scalar_type()));
  return autograd::apply_inplace<ClampScalar<K>>(self, lo, hi);
}

// ---- maximum / minimum ----------------------------------------------------------------------

// Ties split the gradient in half between the two inputs, as in PyTorch.
template <bool IsMax>
struct Extremum {
  static constexpr const char* name = IsMax ? "MaximumBackward0" : "MinimumBackward0";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b) {
    ctx.save(a, b);
    return extremum(a, b, IsMax);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [a, b] = ctx.saved<2>();
    Tensor shared = where(a == b, g[0] / 2, g[0]);
    return {ctx.needs_input_grad(0) ? shared.masked_fill(IsMax ? a < b : a > b, 0) : Tensor(),
            ctx.needs_input_grad(1) ? shared.masked_fill(IsMax ? a > b : a < b, 0) : Tensor()};
  }
};

}  // namespace

// ---- public API ---------------------------------------------------------------------------------

// The in-place forms (x.eq_(y)) write 1 or 0 in x's dtype, as PyTorch's. `a > b` is computed
// as `b < a` and `a >= b` as `b <= a` (the same values, NaN included), so that only four
// comparisons are compiled per dtype (Note [Build time] in CMakeLists.txt).
#define NABLA_COMPARISON(op, sym, call)                                                              \
  Tensor op(const Tensor& a, const Tensor& b) { return call; }                                       \
  Tensor op(const Tensor& a, const Scalar& b) { return op(a, wrap_for(a, b)); }                      \
  Tensor Tensor::op(const Tensor& o) const { return nabla::op(*this, o); }                           \
  Tensor Tensor::op(const Scalar& o) const { return nabla::op(*this, o); }                           \
  Tensor operator sym(const Tensor& a, const Tensor& b) { return op(a, b); }                         \
  Tensor operator sym(const Tensor& a, const Scalar& b) { return op(a, b); }                        \
  Tensor& Tensor::op##_(const Tensor& o) const {                                                     \
    ops::check_inplace_shape(*this, {&o});                                                           \
    return copy_(nabla::op(*this, o));                                                               \
  }                                                                                                  \
  Tensor& Tensor::op##_(const Scalar& o) const { return copy_(nabla::op(*this, o)); }
NABLA_COMPARISON(eq, ==, to_bool_op(a, b, "eq", [](auto x, auto y) { return x == y; }))
NABLA_COMPARISON(ne, !=, to_bool_op(a, b, "ne", [](auto x, auto y) { return x != y; }))
NABLA_COMPARISON(lt, <, to_bool_op(a, b, "lt", [](auto x, auto y) { return x < y; }))
NABLA_COMPARISON(le, <=, to_bool_op(a, b, "le", [](auto x, auto y) { return x <= y; }))
NABLA_COMPARISON(gt, >, lt(b, a))
NABLA_COMPARISON(ge, >=, le(b, a))
#undef NABLA_COMPARISON

// The logical ops see each operand as bool (nonzero, NaN included, is true): the conversion
// to bool is the copy kernel's, and the op itself is compiled for bool only.
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return ops::binary_op<bool, bool>(ops::cast(a, kBool), ops::cast(b, kBool), [](bool x, bool y) { return x && y; });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return ops::binary_op<bool, bool>(ops::cast(a, kBool), ops::cast(b, kBool), [](bool x, bool y) { return x || y; });
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return ops::binary_op<bool, bool>(ops::cast(a, kBool), ops::cast(b, kBool), [](bool x, bool y) { return x != y; });
}
Tensor logical_not(const Tensor& a) {
  Tensor x = ops::cast(a, kBool);
  Tensor out = core::empty(a.sizes(), kBool);
  kernels::unary_loop<bool, bool>(out, x, [](bool v) { return !v; });
  return out;
}
Tensor Tensor::logical_and(const Tensor& o) const { return nabla::logical_and(*this, o); }
Tensor Tensor::logical_or(const Tensor& o) const { return nabla::logical_or(*this, o); }
Tensor Tensor::logical_xor(const Tensor& o) const { return nabla::logical_xor(*this, o); }
Tensor Tensor::logical_not() const { return nabla::logical_not(*this); }

Tensor bitwise_and(const Tensor& a, const Tensor& b) {
  return bitwise_op(a, b, "bitwise_and_cpu", [](auto x, auto y) { return bit_op<BitOp::And>(x, y); });
}
Tensor bitwise_or(const Tensor& a, const Tensor& b) {
  return bitwise_op(a, b, "bitwise_or_cpu", [](auto x, auto y) { return bit_op<BitOp::Or>(x, y); });
}
Tensor bitwise_xor(const Tensor& a, const Tensor& b) {
  return bitwise_op(a, b, "bitwise_xor_cpu", [](auto x, auto y) { return bit_op<BitOp::Xor>(x, y); });
}
Tensor bitwise_not(const Tensor& a_) {
  NABLA_CHECK(!isFloatingType(a_.scalar_type()), "\"bitwise_not_cpu\" not implemented for '",
              scalarTypeName(a_.scalar_type()), "'");
  const Tensor a = ops::compute_operand(a_);
  Tensor out = core::empty(a.sizes(), a.scalar_type());
  NABLA_DISPATCH_INTEGRAL_TYPES_AND_BOOL(a.scalar_type(), "bitwise_not_cpu", [&] {
    kernels::unary_loop<scalar_t, scalar_t>(out, a, [](scalar_t x) { return bit_not(x); });
  });
  return ops::cast(out, a_.scalar_type());
}
Tensor operator&(const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }
Tensor operator|(const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }
Tensor operator^(const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }
Tensor Tensor::operator~() const { return bitwise_not(*this); }

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  return autograd::apply<Where>(bool_condition(condition), a, b);
}
Tensor where(const Tensor& condition, const Scalar& a, const Tensor& b) {
  return autograd::apply<Where>(bool_condition(condition), wrap_for(b, a), b);
}
Tensor where(const Tensor& condition, const Tensor& a, const Scalar& b) {
  return autograd::apply<Where>(bool_condition(condition), a, wrap_for(a, b));
}
Tensor where(const Tensor& condition, const Scalar& a, const Scalar& b) {
  auto category = [](const Scalar& s) { return s.isFloatingPoint() ? 2 : s.isBoolean() ? 0 : 1; };
  const int c = std::max(category(a), category(b));
  const ScalarType dt = c == 2 ? TensorOptions::default_dtype() : c == 1 ? kLong : kBool;
  return autograd::apply<Where>(bool_condition(condition), wrap_scalar(a, dt), wrap_scalar(b, dt));
}
Tensor Tensor::where(const Tensor& condition, const Tensor& other) const {
  return nabla::where(condition, *this, other);
}

Tensor masked_fill(const Tensor& t, const Tensor& mask, const Scalar& value) {
  return autograd::apply<MaskedFill>(t, bool_mask(mask), value);
}
Tensor masked_fill(const Tensor& t, const Tensor& mask, const Tensor& value) {
  return autograd::apply<MaskedFillTensor>(t, bool_mask(mask), value);
}
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const { return nabla::masked_fill(*this, mask, value); }
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const { return nabla::masked_fill(*this, mask, value); }
Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) const {
  ops::check_inplace_shape(*this, {&mask});
  return autograd::apply_inplace<MaskedFill>(self(), bool_mask(mask), value);
}
Tensor& Tensor::masked_fill_(const Tensor& mask, const Tensor& value) const {
  ops::check_inplace_shape(*this, {&mask});
  return autograd::apply_inplace<MaskedFillTensor>(self(), bool_mask(mask), value);
}

Tensor clamp(const Tensor& t, const std::optional<Scalar>& min, const std::optional<Scalar>& max) {
  return autograd::apply<ClampScalar<ClampKind::Both>>(t, min, max);
}
Tensor clamp(const Tensor& t, const std::optional<Tensor>& min, const std::optional<Tensor>& max) {
  return autograd::apply<ClampTensor>(t, min, max);
}
Tensor clamp_min(const Tensor& t, const Scalar& min) {
  return autograd::apply<ClampScalar<ClampKind::Min>>(t, std::optional<Scalar>(min), std::optional<Scalar>());
}
Tensor clamp_max(const Tensor& t, const Scalar& max) {
  return autograd::apply<ClampScalar<ClampKind::Max>>(t, std::optional<Scalar>(), std::optional<Scalar>(max));
}
Tensor Tensor::clamp(const std::optional<Scalar>& min, const std::optional<Scalar>& max) const {
  return nabla::clamp(*this, min, max);
}
Tensor Tensor::clamp(const std::optional<Tensor>& min, const std::optional<Tensor>& max) const {
  return nabla::clamp(*this, min, max);
}
Tensor Tensor::clamp_min(const Scalar& min) const { return nabla::clamp_min(*this, min); }
Tensor Tensor::clamp_max(const Scalar& max) const { return nabla::clamp_max(*this, max); }
Tensor& Tensor::clamp_(const std::optional<Scalar>& min, const std::optional<Scalar>& max) const {
  return clamp_inplace<ClampKind::Both>(self(), min, max);
}
Tensor& Tensor::clamp_min_(const Scalar& min) const { return clamp_inplace<ClampKind::Min>(self(), min, std::nullopt); }
Tensor& Tensor::clamp_max_(const Scalar& max) const { return clamp_inplace<ClampKind::Max>(self(), std::nullopt, max); }

Tensor maximum(const Tensor& a, const Tensor& b) { return autograd::apply<Extremum<true>>(a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return autograd::apply<Extremum<false>>(a, b); }
Tensor Tensor::maximum(const Tensor& other) const { return nabla::maximum(*this, other); }
Tensor Tensor::minimum(const Tensor& other) const { return nabla::minimum(*this, other); }

}  // namespace nabla
