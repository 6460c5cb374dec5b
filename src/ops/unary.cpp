// Unary elementwise ops: abs, sqrt, rsqrt, exp, log, log1p, expm1, sin, cos, tanh, sigmoid,
// relu, sign, floor, ceil, round (each with its in-place form and, where libtorch has one,
// its out= form), and pow in its three forms.
//
// The floating functions run through the vector layer (Note [Vector layer] in
// src/kernels/cpu/vmath.cpp), strided or contiguous.
#include "kernels/cpu/vmath.h"
#include "ops/elementwise_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;
namespace vmath = kernels::vmath;

namespace {

/// The dtype of a floating unary op's result: the input's if floating, else the default.
ScalarType float_result_type(const Tensor& t) {
  return isFloatingType(t.scalar_type()) ? t.scalar_type() : TensorOptions::default_dtype();
}

// The result is float or double (float_result_type), the vector layer's two dtypes.
Tensor float_unary(vmath::Fn f, const Tensor& t) {
  const ScalarType dt = float_result_type(t);
  Tensor x = ops::cast(t, dt);
  Tensor out = core::empty(t.sizes(), dt);
  vmath::unary(f, out, x);
  return out;
}

/// out = f(t) keeping t's dtype, for every dtype but bool (which gets `"<kernel>" not implemented`).
template <typename F>
Tensor same_type_unary(const Tensor& t, const char* kernel, F f) {
  NABLA_CHECK(t.scalar_type() != kBool, "\"", kernel, "\" not implemented for 'Bool'");
  Tensor out = core::empty(t.sizes(), t.scalar_type());
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), kernel, [&] {
    kernels::unary_loop<scalar_t, scalar_t>(out, t, [&](scalar_t x) { return f(x); });
  });
  return out;
}

template <typename T>
T wrap_abs(T x) {
  if constexpr (std::is_unsigned_v<T>) return x;
  else if constexpr (std::is_integral_v<T>)
    return x < 0 ? static_cast<T>(-static_cast<std::make_unsigned_t<T>>(x)) : x;
  else return std::fabs(x);
}

template <typename T>
T sign_of(T x) {
  if constexpr (std::is_same_v<T, bool>) return x;
  else return static_cast<T>((T(0) < x) - (x < T(0)));
}

// ---- ops --------------------------------------------------------------------------------------

// The floating unary ops. Each saves the input or the output, whichever its derivative uses.
#define NABLA_FLOAT_UNARY(Op, Kernel, bwname, saves_output, grad_expr)         \
  struct Op {                                                                          \
    static constexpr const char* name = bwname;                                        \
    Tensor forward(Ctx& ctx, const Tensor& t) {                                        \
      Tensor y = float_unary(vmath::Fn::Kernel, t);                                        \
      if (saves_output) ctx.save_output(y);                                            \
      else ctx.save(t);                                                                \
      return y;                                                                        \
    }                                                                                  \
    variable_list backward(Ctx& ctx, const variable_list& g) {                         \
      Tensor s = ctx.saved(0);                                                         \
      return {grad_expr};                                                              \
    }                                                                                  \
  };

// s is the saved input x or output y.
NABLA_FLOAT_UNARY(Sqrt, Sqrt, "SqrtBackward0", true, g[0] / (s * 2))
NABLA_FLOAT_UNARY(Rsqrt, Rsqrt, "RsqrtBackward0", true, g[0] * s.pow(3) * -0.5)
NABLA_FLOAT_UNARY(Exp, Exp, "ExpBackward0", true, g[0] * s)
NABLA_FLOAT_UNARY(Log, Log, "LogBackward0", false, g[0] / s)
NABLA_FLOAT_UNARY(Log1p, Log1p, "Log1PBackward0", false, g[0] / (s + 1))
NABLA_FLOAT_UNARY(Expm1, Expm1, "Expm1Backward0", true, g[0] * (s + 1))
NABLA_FLOAT_UNARY(Sin, Sin, "SinBackward0", false, g[0] * s.cos())
NABLA_FLOAT_UNARY(Cos, Cos, "CosBackward0", false, g[0] * -s.sin())
NABLA_FLOAT_UNARY(Tanh, Tanh, "TanhBackward0", true, g[0] * (1 - s * s))
NABLA_FLOAT_UNARY(Sigmoid, Sigmoid, "SigmoidBackward0", true, g[0] * (s * (1 - s)))
#undef NABLA_FLOAT_UNARY

struct Abs {
  static constexpr const char* name = "AbsBackward0";
  Tensor forward(Ctx& ctx, const Tensor& t) {
    ctx.save(t);
    return same_type_unary(t, "abs_cpu", [](auto x) { return wrap_abs(x); });
  }
  variable_list backward(Ctx& ctx, const variable_list& g) { return {g[0] * ctx.saved(0).sign()}; }
};

struct Relu {
  static constexpr const char* name = "ReluBackward0";
  Tensor forward(Ctx& ctx, const Tensor& t) {
    NABLA_CHECK(t.scalar_type() != kBool, "Boolean inputs not supported for relu");
    Tensor y = same_type_unary(t, "relu", [](auto x) { return ops::is_nan(x) || x > 0 ? x : decltype(x)(0); });
    ctx.save_output(y);
    return y;
  }
  // PyTorch's threshold_backward: the gradient passes unless the output is <= 0 (so it passes
  // at NaN).
  variable_list backward(Ctx& ctx, const variable_list& g) { return {where(ctx.saved(0) <= 0, 0, g[0])}; }
};

// Piecewise-constant ops: zero gradient.
struct ZeroGrad {
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

struct Sign : ZeroGrad {
  static constexpr const char* name = "SignBackward0";
  Tensor forward(Ctx&, const Tensor& t) {
    Tensor out = core::empty(t.sizes(), t.scalar_type());
    NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "sign", [&] {
      kernels::unary_loop<scalar_t, scalar_t>(out, t, [](scalar_t x) { return sign_of(x); });
    });
    return out;
  }
};

// floor, ceil and round of an integer tensor are its values.
#define NABLA_ROUNDING(Op, bwname, kernel, fn)                                                          \
  struct Op : ZeroGrad {                                                                                \
    static constexpr const char* name = bwname;                                                        \
    Tensor forward(Ctx&, const Tensor& t) {                                                            \
      return same_type_unary(t, kernel, [](auto x) {                                                   \
        if constexpr (std::is_floating_point_v<decltype(x)>) return decltype(x)(fn(x));                \
        else return x;                                                                                 \
      });                                                                                              \
    }                                                                                                  \
  };
NABLA_ROUNDING(Floor, "FloorBackward0", "floor_vml_cpu", std::floor)
NABLA_ROUNDING(Ceil, "CeilBackward0", "ceil_vml_cpu", std::ceil)
NABLA_ROUNDING(Round, "RoundBackward0", "round_vml_cpu", std::nearbyint)  // half to even
#undef NABLA_ROUNDING

// ---- pow --------------------------------------------------------------------------------------

// Integer power with wrapping multiplication; negative exponents follow PyTorch (1 and -1
// keep their magnitude, everything else gives 0).
template <typename T>
T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exp % 2 == 0) ? T(1) : T(-1);
      return 0;
    }
  }
  using U = std::make_unsigned_t<T>;
  U result = 1, b = static_cast<U>(base);
  for (auto e = static_cast<U>(exp); e; e >>= 1) {
    if (e & 1U) result = static_cast<U>(result * b);
    b = static_cast<U>(b * b);
  }
  return static_cast<T>(result);
}

template <typename T>
T any_pow(T base, T exp) {
  if constexpr (std::is_floating_point_v<T>) return std::pow(base, exp);
  else if constexpr (std::is_same_v<T, bool>) return base || !exp;
  else return int_pow(base, exp);
}

Tensor pow_kernel(const Tensor& a, const Tensor& b) {
  const ScalarType dt = core::result_type({&a, &b});
  NABLA_CHECK(dt != kBool, "\"pow\" not implemented for 'Bool'");
  return NABLA_DISPATCH_ALL_TYPES(dt, "pow", [&] {
    return ops::binary_op<scalar_t, scalar_t>(a, b, [](scalar_t x, scalar_t y) { return any_pow(x, y); });
  });
}

// x ** e for a floating x, with PyTorch's exact special cases.
template <typename T>
Tensor float_pow_scalar(const Tensor& x, double e) {
  Tensor out = core::empty(x.sizes(), x.scalar_type());
  const T p = static_cast<T>(e);
  auto run = [&](auto f) { kernels::unary_loop<T, T>(out, x, f); };
  if (e == 2) run([](T v) { return v * v; });
  else if (e == 3) run([](T v) { return v * v * v; });
  else if (e == 0.5) run([](T v) { return std::sqrt(v); });
  else if (e == -0.5) run([](T v) { return T(1) / std::sqrt(v); });
  else if (e == -1) run([](T v) { return T(1) / v; });
  else if (e == -2) run([](T v) { return T(1) / (v * v); });
  else run([p](T v) { return std::pow(v, p); });
  return out;
}

Tensor pow_scalar_kernel(const Tensor& t, const Scalar& e) {
  const ScalarType dt = core::result_type_scalar(t, e);
  NABLA_CHECK(dt != kBool, "\"pow\" not implemented for 'Bool'");
  if (isFloatingType(dt)) {
    Tensor x = ops::cast(t, dt);
    return NABLA_DISPATCH_FLOATING_TYPES(dt, "pow", [&] { return float_pow_scalar<scalar_t>(x, e.toDouble()); });
  }
  NABLA_CHECK(e.toLong() >= 0, "Integers to negative integer powers are not allowed.");
  return pow_kernel(t, ops::wrap_scalar(e, dt));
}

Scalar minus_one(const Scalar& s) {
  return s.isFloatingPoint() ? Scalar(s.toDouble() - 1) : Scalar(s.toLong() - 1);
}

struct PowScalar {
  static constexpr const char* name = "PowBackward0";
  Scalar exponent;
  Tensor forward(Ctx& ctx, const Tensor& t, const Scalar& e) {
    exponent = e;
    ctx.save(t);
    return pow_scalar_kernel(t, e);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    if (exponent.toDouble() == 0) return {zeros_like(g[0])};
    return {g[0] * (ctx.saved(0).pow(minus_one(exponent)) * exponent)};
  }
};

// d(a^b)/da = b a^(b-1) (0 where b == 0); d(a^b)/db = a^b log a (0 where a == 0 and b >= 0).
struct PowTensor {
  static constexpr const char* name = "PowBackward1";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b) {
    Tensor y = pow_kernel(a, b);
    ctx.save(a, b);
    ctx.save_output(y);
    return y;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [a, b, y] = ctx.saved<3>();
    Tensor ga, gb;
    if (ctx.needs_input_grad(0)) ga = where(b == 0, 0.0, g[0] * (b * a.pow(b - 1)));
    if (ctx.needs_input_grad(1)) gb = g[0] * where(logical_and(a == 0, b >= 0), 0.0, y * a.log());
    return {ga, gb};
  }
};

struct PowScalarBase {
  static constexpr const char* name = "PowBackward2";
  Scalar base;
  Tensor forward(Ctx& ctx, const Scalar& base_, const Tensor& e) {
    base = base_;
    Tensor y = pow_kernel(ops::wrap_scalar(base, core::result_type_scalar(e, base)), e);
    ctx.save(e);
    ctx.save_output(y);
    return y;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [e, y] = ctx.saved<2>();
    if (base.toDouble() == 0) return {g[0] * where(e >= 0, 0.0, y * -INFINITY)};
    return {g[0] * (y * std::log(base.toDouble()))};
  }
};

template <typename Op>
Tensor& pow_inplace(Tensor& self, const Tensor& e) {
  ops::check_inplace_shape(self, {&e});
  return autograd::apply_inplace<Op>(self, e);
}

}  // namespace

#define NABLA_UNARY_API(op, Op)                                           \
  Tensor op(const Tensor& t) { return autograd::apply<Op>(t); }           \
  Tensor Tensor::op() const { return autograd::apply<Op>(*this); }        \
  Tensor& Tensor::op##_() const { return autograd::apply_inplace<Op>(self()); }
NABLA_UNARY_API(abs, Abs)
NABLA_UNARY_API(sqrt, Sqrt)
NABLA_UNARY_API(rsqrt, Rsqrt)
NABLA_UNARY_API(exp, Exp)
NABLA_UNARY_API(log, Log)
NABLA_UNARY_API(log1p, Log1p)
NABLA_UNARY_API(expm1, Expm1)
NABLA_UNARY_API(sin, Sin)
NABLA_UNARY_API(cos, Cos)
NABLA_UNARY_API(tanh, Tanh)
NABLA_UNARY_API(sigmoid, Sigmoid)
NABLA_UNARY_API(relu, Relu)
NABLA_UNARY_API(sign, Sign)
NABLA_UNARY_API(floor, Floor)
NABLA_UNARY_API(ceil, Ceil)
NABLA_UNARY_API(round, Round)
#undef NABLA_UNARY_API

// An out= form whose out already has the result's shape and dtype is written in place by the
// vector layer (no temporary); any other out goes through write_out's cast and resize rules.
#define NABLA_UNARY_OUT(op, Kernel)                                                            \
  Tensor& op##_out(Tensor& out, const Tensor& t) {                                             \
    ops::check_out_args(#op, {&t});                                                            \
    if (out.defined() && out.sizes() == t.sizes() && out.scalar_type() == float_result_type(t)) { \
      vmath::unary(vmath::Fn::Kernel, out, ops::cast(t, out.scalar_type()));                    \
      out.unsafeGetTensorImpl()->bump_version();                                               \
      return out;                                                                              \
    }                                                                                          \
    return ops::write_out(out, op(t));                                                         \
  }
NABLA_UNARY_OUT(sqrt, Sqrt)
NABLA_UNARY_OUT(exp, Exp)
NABLA_UNARY_OUT(log, Log)
NABLA_UNARY_OUT(sin, Sin)
NABLA_UNARY_OUT(cos, Cos)
NABLA_UNARY_OUT(tanh, Tanh)
NABLA_UNARY_OUT(sigmoid, Sigmoid)
#undef NABLA_UNARY_OUT
Tensor& abs_out(Tensor& out, const Tensor& t) {
  ops::check_out_args("abs", {&t});
  Tensor r = abs(t);
  ops::check_out_dtype(out, r);
  return ops::write_out(out, r);
}

Tensor pow(const Tensor& a, const Tensor& exponent) { return autograd::apply<PowTensor>(a, exponent); }
Tensor pow(const Tensor& a, const Scalar& exponent) { return autograd::apply<PowScalar>(a, exponent); }
Tensor pow(const Scalar& base, const Tensor& exponent) { return autograd::apply<PowScalarBase>(base, exponent); }
Tensor Tensor::pow(const Tensor& exponent) const { return nabla::pow(*this, exponent); }
Tensor Tensor::pow(const Scalar& exponent) const { return nabla::pow(*this, exponent); }
Tensor& Tensor::pow_(const Tensor& exponent) const { return pow_inplace<PowTensor>(self(), exponent); }
Tensor& Tensor::pow_(const Scalar& exponent) const {
  const ScalarType dt = core::result_type_scalar(*this, exponent);
  NABLA_CHECK(isFloatingType(dt) || exponent.toLong() >= 0, "Integers to negative integer powers are not allowed.");
  NABLA_CHECK(dt == scalar_type(), "Found dtype ", scalarTypeName(scalar_type()),
              " but expected ", scalarTypeName(dt));
  return autograd::apply_inplace<PowScalar>(self(), exponent);
}
Tensor& pow_out(Tensor& out, const Tensor& a, const Tensor& exponent) {
  ops::check_out_args("pow", {&a, &exponent});
  return ops::write_out(out, pow(a, exponent));
}

}  // namespace nabla
