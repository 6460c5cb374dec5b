// Unary elementwise ops: abs, sqrt, rsqrt, exp, log, log1p, expm1, sin, cos, tanh, sigmoid,
// relu, sign, floor, ceil, round (each with its in-place form and, where libtorch has one,
// its out= form), and pow in its three forms.
//
// Note [Vectorised transcendentals]
// The floating functions run through SLEEF's 4 x float / 2 x double SSE2 functions (1-ulp
// accuracy, like PyTorch's own vectorised paths). Every element goes through the vector
// function, strided or contiguous, including the tail of a run (padded into a small buffer),
// so a value's result does not depend on the tensor's layout.
#include <emmintrin.h>
#include <sleef.h>

#include "ops/elementwise_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

// ---- vector kernels -------------------------------------------------------------------------

template <typename T>
struct Vec;
template <>
struct Vec<float> {
  using type = __m128;
  static constexpr int width = 4;
  static type load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, type v) { _mm_storeu_ps(p, v); }
};
template <>
struct Vec<double> {
  using type = __m128d;
  static constexpr int width = 2;
  static type load(const double* p) { return _mm_loadu_pd(p); }
  static void store(double* p, type v) { _mm_storeu_pd(p, v); }
};

struct ExpK {
  static __m128 f(__m128 v) { return Sleef_expf4_u10(v); }
  static __m128d f(__m128d v) { return Sleef_expd2_u10(v); }
};
struct LogK {
  static __m128 f(__m128 v) { return Sleef_logf4_u10(v); }
  static __m128d f(__m128d v) { return Sleef_logd2_u10(v); }
};
struct Log1pK {
  static __m128 f(__m128 v) { return Sleef_log1pf4_u10(v); }
  static __m128d f(__m128d v) { return Sleef_log1pd2_u10(v); }
};
struct Expm1K {
  static __m128 f(__m128 v) { return Sleef_expm1f4_u10(v); }
  static __m128d f(__m128d v) { return Sleef_expm1d2_u10(v); }
};
struct SinK {
  static __m128 f(__m128 v) { return Sleef_sinf4_u10(v); }
  static __m128d f(__m128d v) { return Sleef_sind2_u10(v); }
};
struct CosK {
  static __m128 f(__m128 v) { return Sleef_cosf4_u10(v); }
  static __m128d f(__m128d v) { return Sleef_cosd2_u10(v); }
};
struct TanhK {
  static __m128 f(__m128 v) { return Sleef_tanhf4_u10(v); }
  static __m128d f(__m128d v) { return Sleef_tanhd2_u10(v); }
};
// sigmoid(x) = 1 / (1 + exp(-x)), the formula of PyTorch's vectorised kernel.
struct SigmoidK {
  static __m128 f(__m128 v) {
    const __m128 one = _mm_set1_ps(1.f);
    return _mm_div_ps(one, _mm_add_ps(one, Sleef_expf4_u10(_mm_sub_ps(_mm_setzero_ps(), v))));
  }
  static __m128d f(__m128d v) {
    const __m128d one = _mm_set1_pd(1.);
    return _mm_div_pd(one, _mm_add_pd(one, Sleef_expd2_u10(_mm_sub_pd(_mm_setzero_pd(), v))));
  }
};
struct SqrtK {
  static __m128 f(__m128 v) { return _mm_sqrt_ps(v); }
  static __m128d f(__m128d v) { return _mm_sqrt_pd(v); }
};
struct RsqrtK {
  static __m128 f(__m128 v) { return _mm_div_ps(_mm_set1_ps(1.f), _mm_sqrt_ps(v)); }
  static __m128d f(__m128d v) { return _mm_div_pd(_mm_set1_pd(1.), _mm_sqrt_pd(v)); }
};

// out = K(a) for floating T (Note [Vectorised transcendentals]).
template <typename T, typename K>
void vec_unary_loop(const Tensor& out, const Tensor& a) {
  using V = Vec<T>;
  constexpr int W = V::width;
  kernels::StridedIter<2> it({&out, &a});
  it.run([](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    int64_t i = 0;
    if (s[0] == sizeof(T) && s[1] == sizeof(T))
      for (; i + W <= n; i += W) V::store(o + i, K::f(V::load(x + i)));
    for (; i < n; i += W) {
      const int64_t m = std::min<int64_t>(W, n - i);
      alignas(16) T buf[W] = {};
      for (int64_t j = 0; j < m; ++j) buf[j] = *reinterpret_cast<const T*>(p[1] + (i + j) * s[1]);
      V::store(buf, K::f(V::load(buf)));
      for (int64_t j = 0; j < m; ++j) *reinterpret_cast<T*>(p[0] + (i + j) * s[0]) = buf[j];
    }
  });
}

/// The dtype of a floating unary op's result: the input's if floating, else the default.
ScalarType float_result_type(const Tensor& t) {
  return isFloatingType(t.scalar_type()) ? t.scalar_type() : TensorOptions::default_dtype();
}

template <typename K>
Tensor float_unary(const Tensor& t, const char* name) {
  const ScalarType dt = float_result_type(t);
  Tensor x = ops::cast(t, dt);
  Tensor out = core::empty(t.sizes(), dt);
  NABLA_DISPATCH_FLOATING_TYPES(dt, name, [&] { vec_unary_loop<scalar_t, K>(out, x); });
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
#define NABLA_FLOAT_UNARY(Op, Kernel, kname, bwname, saves_output, grad_expr)         \
  struct Op {                                                                          \
    static constexpr const char* name = bwname;                                        \
    Tensor forward(Ctx& ctx, const Tensor& t) {                                        \
      Tensor y = float_unary<Kernel>(t, kname);                                        \
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
NABLA_FLOAT_UNARY(Sqrt, SqrtK, "sqrt", "SqrtBackward0", true, g[0] / (s * 2))
NABLA_FLOAT_UNARY(Rsqrt, RsqrtK, "rsqrt", "RsqrtBackward0", true, g[0] * s.pow(3) * -0.5)
NABLA_FLOAT_UNARY(Exp, ExpK, "exp", "ExpBackward0", true, g[0] * s)
NABLA_FLOAT_UNARY(Log, LogK, "log", "LogBackward0", false, g[0] / s)
NABLA_FLOAT_UNARY(Log1p, Log1pK, "log1p", "Log1PBackward0", false, g[0] / (s + 1))
NABLA_FLOAT_UNARY(Expm1, Expm1K, "expm1", "Expm1Backward0", true, g[0] * (s + 1))
NABLA_FLOAT_UNARY(Sin, SinK, "sin", "SinBackward0", false, g[0] * s.cos())
NABLA_FLOAT_UNARY(Cos, CosK, "cos", "CosBackward0", false, g[0] * -s.sin())
NABLA_FLOAT_UNARY(Tanh, TanhK, "tanh", "TanhBackward0", true, g[0] * (1 - s * s))
NABLA_FLOAT_UNARY(Sigmoid, SigmoidK, "sigmoid", "SigmoidBackward0", true, g[0] * (s * (1 - s)))
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
    return ops::binary_op(a, b, dt, dt, "pow", [](scalar_t x, scalar_t y) { return any_pow(x, y); });
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
  Tensor& Tensor::op##_() { return autograd::apply_inplace<Op>(*this); }
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

#define NABLA_UNARY_OUT(op)                           \
  Tensor& op##_out(Tensor& out, const Tensor& t) {    \
    ops::check_out_args(#op, {&t});                   \
    return ops::write_out(out, op(t));                \
  }
NABLA_UNARY_OUT(sqrt)
NABLA_UNARY_OUT(exp)
NABLA_UNARY_OUT(log)
NABLA_UNARY_OUT(sin)
NABLA_UNARY_OUT(cos)
NABLA_UNARY_OUT(tanh)
NABLA_UNARY_OUT(sigmoid)
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
Tensor& Tensor::pow_(const Tensor& exponent) { return pow_inplace<PowTensor>(*this, exponent); }
Tensor& Tensor::pow_(const Scalar& exponent) {
  const ScalarType dt = core::result_type_scalar(*this, exponent);
  NABLA_CHECK(isFloatingType(dt) || exponent.toLong() >= 0, "Integers to negative integer powers are not allowed.");
  NABLA_CHECK(dt == scalar_type(), "Found dtype ", scalarTypeName(scalar_type()),
              " but expected ", scalarTypeName(dt));
  return autograd::apply_inplace<PowScalar>(*this, exponent);
}
Tensor& pow_out(Tensor& out, const Tensor& a, const Tensor& exponent) {
  ops::check_out_args("pow", {&a, &exponent});
  return ops::write_out(out, pow(a, exponent));
}

}  // namespace nabla
