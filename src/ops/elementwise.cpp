// Elementwise arithmetic: add, sub, rsub, mul, div, neg (tensor and scalar operands, in-place and
// out= forms), with PyTorch's promotion; forward and backward side by side. Also the shared
// helpers of elementwise_common.h.
#include "ops/elementwise_common.h"

#include "nabla/warning.h"

namespace nabla::ops {

Tensor select(const Tensor& cond, const Tensor& a, const Tensor& b, ScalarType dtype) {
  DimVector shape = core::broadcast_shape(core::broadcast_shape(cond.sizes(), a.sizes()), b.sizes());
  Tensor out = core::empty(shape, dtype);
  Tensor c = cast(cond, kBool), x = cast(a, dtype), y = cast(b, dtype);
  NABLA_DISPATCH_ALL_TYPES(dtype, "where", [&] {
    kernels::ternary_loop<scalar_t, bool, scalar_t, scalar_t>(out, c, x, y,
                                                              [](bool k, scalar_t u, scalar_t v) { return k ? u : v; });
  });
  return out;
}

ScalarType result_type_scalars(const Tensor& t, const std::optional<Scalar>& s1, const std::optional<Scalar>& s2) {
  auto rank = [](const std::optional<Scalar>& s) { return !s ? -1 : s->isFloatingPoint() ? 2 : s->isBoolean() ? 0 : 1; };
  const std::optional<Scalar>& top = rank(s1) >= rank(s2) ? s1 : s2;
  return top ? core::result_type_scalar(t, *top) : t.scalar_type();
}

void check_fill_value(ScalarType dtype, const Scalar& v) {
  if (!isNarrowType(dtype) || v.isBoolean()) return;
  const double x = v.toDouble();
  const double lo = dtype == kHalf ? -65504 : dtype == kShort ? -32768 : -128;
  const double hi = dtype == kHalf ? 65504 : -lo - 1;
  const bool fits = (x >= lo && x <= hi) || (dtype == kHalf && !std::isfinite(x));  // float16 has inf and NaN
  NABLA_CHECK(fits, "value cannot be converted to type ",
              dtype == kHalf ? "at::Half" : dtype == kShort ? "int16_t" : "int8_t", " without overflow");
}

void check_inplace_shape(const Tensor& self, std::initializer_list<const Tensor*> others) {
  DimVector shape(self.sizes().begin(), self.sizes().end());
  for (const Tensor* o : others)
    if (o->defined()) shape = core::broadcast_shape(shape, o->sizes());
  NABLA_CHECK(IntArrayRef(shape) == self.sizes(), "output with shape ", core::shape_str(self.sizes()),
              " doesn't match the broadcast shape ", core::shape_str(shape));
}

void check_out_args(const char* name, std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return;
  for (const Tensor* t : inputs)
    NABLA_CHECK(!t->defined() || !t->requires_grad(), name,
                "(): functions with out=... arguments don't support automatic differentiation, but one of the "
                "arguments requires grad.");
}

void check_out_dtype(const Tensor& out, const Tensor& result) {
  NABLA_CHECK(out.scalar_type() == result.scalar_type(), "Found dtype ", scalarTypeName(out.scalar_type()),
              " but expected ", scalarTypeName(result.scalar_type()));
}

Tensor& write_out(Tensor& out, const Tensor& result) {
  NABLA_CHECK(core::can_cast(result.scalar_type(), out.scalar_type()), "result type ",
              scalarTypeName(result.scalar_type()), " can't be cast to the desired output type ",
              scalarTypeName(out.scalar_type()));
  if (out.sizes() != result.sizes()) {
    if (out.numel() != 0)
      warn("An output with one or more elements was resized since it had shape " + core::shape_str(out.sizes()) +
           ", which does not match the required output shape " + core::shape_str(result.sizes()) +
           ". This behavior is deprecated, and in a future PyTorch release outputs will not be resized unless "
           "they have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
           "elements with t.resize_(0).");
    TensorImpl* impl = out.unsafeGetTensorImpl();
    impl->set_storage(StorageImpl::allocate(static_cast<size_t>(result.numel()) * out.element_size()));
    impl->set_geometry(result.sizes(), contiguous_strides(result.sizes()), 0);
  }
  kernels::copy_(out, result);
  out.impl()->bump_version();
  return out;
}

}  // namespace nabla::ops

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;
using ops::binary_op;
using ops::wrap_scalar;

namespace {

// Signed integer overflow wraps (as in PyTorch) instead of being undefined behaviour.
template <typename T>
inline T wrap_add(T a, T b) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) + static_cast<std::make_unsigned_t<T>>(b));
  else return static_cast<T>(a + b);
}
template <typename T>
inline T wrap_mul(T a, T b) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(a) * static_cast<std::make_unsigned_t<T>>(b));
  else if constexpr (std::is_same_v<T, bool>) return a && b;
  else return static_cast<T>(a * b);
}

struct Add {
  static constexpr const char* name = "AddBackward0";
  Scalar alpha;
  Tensor forward(Ctx&, const Tensor& a, const Tensor& b, const Scalar& alpha_) {
    alpha = alpha_;
    ScalarType dt = core::result_type({&a, &b});
    NABLA_CHECK(isFloatingType(dt) || !alpha.isFloatingPoint(),
                "For integral input tensors, argument alpha must not be a floating point number.");
    return NABLA_DISPATCH_ALL_TYPES(dt, "add", [&] {
      const scalar_t al = alpha.to<scalar_t>();
      if (alpha.toDouble() == 1.0)
        return binary_op<scalar_t, scalar_t>(a, b, [](scalar_t x, scalar_t y) { return wrap_add(x, y); });
      return binary_op<scalar_t, scalar_t>(a, b, [al](scalar_t x, scalar_t y) { return wrap_add(x, wrap_mul(al, y)); });
    });
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {g[0], alpha.toDouble() == 1.0 ? g[0] : g[0] * alpha};
  }
};

// PyTorch's checks of subtraction operands (a scalar operand counts as a tensor of its kind).
void check_sub(bool a_is_bool, bool b_is_bool) {
  NABLA_CHECK(!a_is_bool || !b_is_bool,
              "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
              "`logical_xor()` operator instead.");
  NABLA_CHECK(!a_is_bool && !b_is_bool,
              "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
              "to invert a mask, use the `~` or `logical_not()` operator instead.");
}
void check_sub(const Tensor& a, const Scalar& b) { check_sub(a.scalar_type() == kBool, b.isBoolean()); }

struct Sub {
  static constexpr const char* name = "SubBackward0";
  Scalar alpha;
  Tensor forward(Ctx&, const Tensor& a, const Tensor& b, const Scalar& alpha_) {
    alpha = alpha_;
    check_sub(a.scalar_type() == kBool, b.scalar_type() == kBool);
    ScalarType dt = core::result_type({&a, &b});
    NABLA_CHECK(isFloatingType(dt) || !alpha.isFloatingPoint(),
                "For integral input tensors, argument alpha must not be a floating point number.");
    return NABLA_DISPATCH_ALL_TYPES(dt, "sub", [&] {
      const scalar_t al = alpha.to<scalar_t>();
      return binary_op<scalar_t, scalar_t>(a, b, [al](scalar_t x, scalar_t y) { return wrap_add(x, wrap_mul(static_cast<scalar_t>(-al), y)); });
    });
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {g[0], alpha.toDouble() == 1.0 ? -g[0] : g[0] * (-alpha)};
  }
};

// rsub(a, b, alpha) = b - alpha * a, recorded under PyTorch's own name.
struct Rsub : Sub {
  static constexpr const char* name = "RsubBackward1";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b, const Scalar& alpha_) {
    return Sub::forward(ctx, b, a, alpha_);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto grads = Sub::backward(ctx, g);
    return {grads[1], grads[0]};
  }
};

struct Mul {
  static constexpr const char* name = "MulBackward0";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b) {
    // Save only what the needed gradients use: d/da needs b, d/db needs a.
    ctx.save(ctx.needs_input_grad(1) ? a : Tensor(), ctx.needs_input_grad(0) ? b : Tensor());
    ScalarType dt = core::result_type({&a, &b});
    return NABLA_DISPATCH_ALL_TYPES(dt, "mul", [&] {
      return binary_op<scalar_t, scalar_t>(a, b, [](scalar_t x, scalar_t y) { return wrap_mul(x, y); });
    });
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [a, b] = ctx.saved<2>();
    return {b.defined() ? g[0] * b : Tensor(), a.defined() ? g[0] * a : Tensor()};
  }
};

struct Div {
  static constexpr const char* name = "DivBackward0";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b) {
    ctx.save(ctx.needs_input_grad(1) ? a : Tensor(), b);
    ScalarType dt = core::result_type({&a, &b});
    if (!isFloatingType(dt)) dt = TensorOptions::default_dtype();  // true division
    return NABLA_DISPATCH_FLOATING_TYPES(dt, "div", [&] {
      return binary_op<scalar_t, scalar_t>(a, b, [](scalar_t x, scalar_t y) { return x / y; });
    });
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [a, b] = ctx.saved<2>();
    // d(a/b)/da = 1/b, d(a/b)/db = -a/b².
    return {g[0] / b, a.defined() ? -g[0] * a / (b * b) : Tensor()};
  }
};

// The dtype a scalar divisor or dividend is held in: the floating dtype division computes in
// (an integer scalar must keep its sign and value, as in PyTorch).
ScalarType div_type(const Tensor& t, const Scalar& s) {
  const ScalarType dt = core::result_type_scalar(t, s);
  return isFloatingType(dt) ? dt : TensorOptions::default_dtype();
}

struct Neg {
  static constexpr const char* name = "NegBackward0";
  Tensor forward(Ctx&, const Tensor& t) {
    NABLA_CHECK(t.scalar_type() != kBool,
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a "
                "mask, use the `~` or `logical_not()` operator instead.");
    Tensor out = core::empty(t.sizes(), t.scalar_type());
    NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "neg", [&] {
      kernels::unary_loop<scalar_t, scalar_t>(out, t, [](scalar_t x) { return wrap_mul(x, static_cast<scalar_t>(-1)); });
    });
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {-g[0]}; }
};

}  // namespace

Tensor neg(const Tensor& t) { return autograd::apply<Neg>(t); }
Tensor Tensor::neg() const { return nabla::neg(*this); }
Tensor& Tensor::neg_() const { return autograd::apply_inplace<Neg>(self()); }

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) { return autograd::apply<Add>(a, b, alpha); }
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  return autograd::apply<Add>(a, wrap_scalar(b, core::result_type_scalar(a, b)), alpha);
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) { return autograd::apply<Sub>(a, b, alpha); }
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  check_sub(a, b);
  return autograd::apply<Sub>(a, wrap_scalar(b, core::result_type_scalar(a, b)), alpha);
}
Tensor rsub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  check_sub(a, b);
  return autograd::apply<Rsub>(a, wrap_scalar(b, core::result_type_scalar(a, b)), alpha);
}
Tensor mul(const Tensor& a, const Tensor& b) { return autograd::apply<Mul>(a, b); }
Tensor mul(const Tensor& a, const Scalar& b) {
  return autograd::apply<Mul>(a, wrap_scalar(b, core::result_type_scalar(a, b)));
}
Tensor div(const Tensor& a, const Tensor& b) { return autograd::apply<Div>(a, b); }
Tensor div(const Tensor& a, const Scalar& b) { return autograd::apply<Div>(a, wrap_scalar(b, div_type(a, b))); }

Tensor Tensor::add(const Tensor& o, const Scalar& alpha) const { return nabla::add(*this, o, alpha); }
Tensor Tensor::add(const Scalar& o, const Scalar& alpha) const { return nabla::add(*this, o, alpha); }
Tensor Tensor::sub(const Tensor& o, const Scalar& alpha) const { return nabla::sub(*this, o, alpha); }
Tensor Tensor::sub(const Scalar& o, const Scalar& alpha) const { return nabla::sub(*this, o, alpha); }
Tensor Tensor::mul(const Tensor& o) const { return nabla::mul(*this, o); }
Tensor Tensor::mul(const Scalar& o) const { return nabla::mul(*this, o); }
Tensor Tensor::div(const Tensor& o) const { return nabla::div(*this, o); }
Tensor Tensor::div(const Scalar& o) const { return nabla::div(*this, o); }

Tensor& Tensor::add_(const Tensor& o, const Scalar& alpha) const {
  ops::check_inplace_shape(*this, {&o});
  return autograd::apply_inplace<Add>(self(), o, alpha);
}
Tensor& Tensor::add_(const Scalar& o, const Scalar& alpha) const {
  return autograd::apply_inplace<Add>(self(), wrap_scalar(o, core::result_type_scalar(*this, o)), alpha);
}
Tensor& Tensor::sub_(const Tensor& o, const Scalar& alpha) const {
  check_sub(scalar_type() == kBool, o.scalar_type() == kBool);
  ops::check_inplace_shape(*this, {&o});
  return autograd::apply_inplace<Sub>(self(), o, alpha);
}
Tensor& Tensor::sub_(const Scalar& o, const Scalar& alpha) const {
  check_sub(*this, o);
  return autograd::apply_inplace<Sub>(self(), wrap_scalar(o, core::result_type_scalar(*this, o)), alpha);
}
Tensor& Tensor::mul_(const Tensor& o) const {
  ops::check_inplace_shape(*this, {&o});
  return autograd::apply_inplace<Mul>(self(), o);
}
Tensor& Tensor::mul_(const Scalar& o) const { return autograd::apply_inplace<Mul>(self(), wrap_scalar(o, core::result_type_scalar(*this, o))); }
Tensor& Tensor::div_(const Tensor& o) const {
  ops::check_inplace_shape(*this, {&o});
  return autograd::apply_inplace<Div>(self(), o);
}
Tensor& Tensor::div_(const Scalar& o) const { return autograd::apply_inplace<Div>(self(), wrap_scalar(o, div_type(*this, o))); }

Tensor& add_out(Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  ops::check_out_args("add", {&a, &b});
  return ops::write_out(out, add(a, b, alpha));
}
Tensor& sub_out(Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha) {
  ops::check_out_args("sub", {&a, &b});
  return ops::write_out(out, sub(a, b, alpha));
}
Tensor& mul_out(Tensor& out, const Tensor& a, const Tensor& b) {
  ops::check_out_args("mul", {&a, &b});
  return ops::write_out(out, mul(a, b));
}
Tensor& div_out(Tensor& out, const Tensor& a, const Tensor& b) {
  ops::check_out_args("div", {&a, &b});
  return ops::write_out(out, div(a, b));
}
Tensor& neg_out(Tensor& out, const Tensor& t) {
  ops::check_out_args("neg", {&t});
  Tensor r = neg(t);
  ops::check_out_dtype(out, r);
  return ops::write_out(out, r);
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, b); }
Tensor operator+(const Scalar& a, const Tensor& b) { return add(b, a); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, b); }
Tensor operator-(const Scalar& a, const Tensor& b) {
  check_sub(b, a);
  return sub(wrap_scalar(a, core::result_type_scalar(b, a)), b);
}
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, b); }
Tensor operator*(const Scalar& a, const Tensor& b) { return mul(b, a); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, b); }
Tensor operator/(const Scalar& a, const Tensor& b) { return div(wrap_scalar(a, div_type(b, a)), b); }

}  // namespace nabla
