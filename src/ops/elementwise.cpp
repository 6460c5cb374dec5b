// Elementwise arithmetic: add, sub, mul, div (tensor and scalar operands), with PyTorch's
// promotion; forward and backward side by side.
#include "ops/elementwise_common.h"

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
        return binary_op(a, b, dt, dt, "add", [](scalar_t x, scalar_t y) { return wrap_add(x, y); });
      return binary_op(a, b, dt, dt, "add", [al](scalar_t x, scalar_t y) { return wrap_add(x, wrap_mul(al, y)); });
    });
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {g[0], alpha.toDouble() == 1.0 ? g[0] : g[0] * alpha};
  }
};

struct Sub {
  static constexpr const char* name = "SubBackward0";
  Scalar alpha;
  Tensor forward(Ctx&, const Tensor& a, const Tensor& b, const Scalar& alpha_) {
    alpha = alpha_;
    NABLA_CHECK(a.scalar_type() != kBool || b.scalar_type() != kBool,
                "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                "`logical_xor()` operator instead.");
    NABLA_CHECK(a.scalar_type() != kBool && b.scalar_type() != kBool,
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                "to invert a mask, use the `~` or `logical_not()` operator instead.");
    ScalarType dt = core::result_type({&a, &b});
    NABLA_CHECK(isFloatingType(dt) || !alpha.isFloatingPoint(),
                "For integral input tensors, argument alpha must not be a floating point number.");
    return NABLA_DISPATCH_ALL_TYPES(dt, "sub", [&] {
      const scalar_t al = alpha.to<scalar_t>();
      return binary_op(a, b, dt, dt, "sub",
                       [al](scalar_t x, scalar_t y) { return wrap_add(x, wrap_mul(static_cast<scalar_t>(-al), y)); });
    });
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {g[0], alpha.toDouble() == 1.0 ? -g[0] : g[0] * (-alpha)};
  }
};

struct Mul {
  static constexpr const char* name = "MulBackward0";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b) {
    // Save only what the needed gradients use: d/da needs b, d/db needs a.
    ctx.save(ctx.needs_input_grad(1) ? a : Tensor(), ctx.needs_input_grad(0) ? b : Tensor());
    ScalarType dt = core::result_type({&a, &b});
    return NABLA_DISPATCH_ALL_TYPES(dt, "mul", [&] {
      return binary_op(a, b, dt, dt, "mul", [](scalar_t x, scalar_t y) { return wrap_mul(x, y); });
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
      return binary_op(a, b, dt, dt, "div", [](scalar_t x, scalar_t y) { return x / y; });
    });
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [a, b] = ctx.saved<2>();
    // d(a/b)/da = 1/b, d(a/b)/db = -a/b².
    return {g[0] / b, a.defined() ? -g[0] * a / (b * b) : Tensor()};
  }
};

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
Tensor& Tensor::neg_() { return autograd::apply_inplace<Neg>(*this); }

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) { return autograd::apply<Add>(a, b, alpha); }
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  return autograd::apply<Add>(a, wrap_scalar(b, core::result_type_scalar(a, b)), alpha);
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) { return autograd::apply<Sub>(a, b, alpha); }
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  return autograd::apply<Sub>(a, wrap_scalar(b, core::result_type_scalar(a, b)), alpha);
}
Tensor rsub(const Tensor& a, const Scalar& b, const Scalar& alpha) {
  return autograd::apply<Sub>(wrap_scalar(b, core::result_type_scalar(a, b)), a, alpha);
}
Tensor mul(const Tensor& a, const Tensor& b) { return autograd::apply<Mul>(a, b); }
Tensor mul(const Tensor& a, const Scalar& b) {
  return autograd::apply<Mul>(a, wrap_scalar(b, core::result_type_scalar(a, b)));
}
Tensor div(const Tensor& a, const Tensor& b) { return autograd::apply<Div>(a, b); }
Tensor div(const Tensor& a, const Scalar& b) {
  return autograd::apply<Div>(a, wrap_scalar(b, core::result_type_scalar(a, b)));
}

Tensor Tensor::add(const Tensor& o, const Scalar& alpha) const { return nabla::add(*this, o, alpha); }
Tensor Tensor::add(const Scalar& o, const Scalar& alpha) const { return nabla::add(*this, o, alpha); }
Tensor Tensor::sub(const Tensor& o, const Scalar& alpha) const { return nabla::sub(*this, o, alpha); }
Tensor Tensor::sub(const Scalar& o, const Scalar& alpha) const { return nabla::sub(*this, o, alpha); }
Tensor Tensor::mul(const Tensor& o) const { return nabla::mul(*this, o); }
Tensor Tensor::mul(const Scalar& o) const { return nabla::mul(*this, o); }
Tensor Tensor::div(const Tensor& o) const { return nabla::div(*this, o); }
Tensor Tensor::div(const Scalar& o) const { return nabla::div(*this, o); }

Tensor& Tensor::add_(const Tensor& o, const Scalar& alpha) { return autograd::apply_inplace<Add>(*this, o, alpha); }
Tensor& Tensor::add_(const Scalar& o, const Scalar& alpha) {
  return autograd::apply_inplace<Add>(*this, wrap_scalar(o, core::result_type_scalar(*this, o)), alpha);
}
Tensor& Tensor::sub_(const Tensor& o, const Scalar& alpha) { return autograd::apply_inplace<Sub>(*this, o, alpha); }
Tensor& Tensor::sub_(const Scalar& o, const Scalar& alpha) {
  return autograd::apply_inplace<Sub>(*this, wrap_scalar(o, core::result_type_scalar(*this, o)), alpha);
}
Tensor& Tensor::mul_(const Tensor& o) { return autograd::apply_inplace<Mul>(*this, o); }
Tensor& Tensor::mul_(const Scalar& o) { return autograd::apply_inplace<Mul>(*this, wrap_scalar(o, core::result_type_scalar(*this, o))); }
Tensor& Tensor::div_(const Tensor& o) { return autograd::apply_inplace<Div>(*this, o); }
Tensor& Tensor::div_(const Scalar& o) { return autograd::apply_inplace<Div>(*this, wrap_scalar(o, core::result_type_scalar(*this, o))); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, b); }
Tensor operator+(const Scalar& a, const Tensor& b) { return add(b, a); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, b); }
Tensor operator-(const Scalar& a, const Tensor& b) { return rsub(b, a); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, b); }
Tensor operator*(const Scalar& a, const Tensor& b) { return mul(b, a); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, b); }
Tensor operator/(const Scalar& a, const Tensor& b) {
  return div(wrap_scalar(a, core::result_type_scalar(b, a)), b);
}

}  // namespace nabla
