// Activations with fused kernels: elu, leaky_relu, gelu, silu, softplus, hardtanh (and the
// in-place forms of elu, leaky_relu and hardtanh).
//
// Note [Activation backward]
// Each activation f is described by a kernel struct K (forward y = f(x), gradient g * f'(x),
// and f'' for the second derivative). Its node (PyTorch's name, e.g. GeluBackward0) saves x;
// its backward is another op, g * f'(x) in one pass (e.g. GeluBackwardBackward0, PyTorch's
// name for that node), whose own backward is gg * f'(x) for g and gg * g * f''(x) for x: the
// gradient costs one fused loop, and double backward works. The in-place forms save the
// result y instead (x is overwritten) and use the derivative written in y (K::h, K::h1), as
// PyTorch's EluBackward1 / LeakyReluBackward1 do.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/vmath.h"
#include "kernels/cpu/parallel.h"
#include "nabla/nn/functional/activation.h"
#include "ops/elementwise_common.h"
#include "ops/reduce_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;
namespace vmath = kernels::vmath;

namespace {

/// The scalar settings of an activation (alpha, slope, beta/threshold, min/max, tanh flag).
struct ActParams {
  double a = 0, b = 0;
};

constexpr int64_t kBlock = 256;

// f(offset, length) over [0, n) in blocks of kBlock elements, on threads for large n.
template <typename F>
void for_blocks(int64_t n, const F& f) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  kernels::parallel_for(0, blocks, std::max<int64_t>(1, kernels::kGrainSize / kBlock), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i * kBlock, std::min(kBlock, n - i * kBlock));
  });
}

// ---- kernel structs (formulas of PyTorch's CPU kernels) -------------------------------------

struct EluK {
  static constexpr const char* name = "EluBackward0";
  static constexpr const char* inplace_name = "EluBackward1";
  static constexpr const char* grad_name = "EluBackwardBackward0";
  static constexpr const char* kernel = "elu_cpu";
  template <typename T>
  static void fwd(const ActParams& p, T* y, const T* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] <= 0 ? x[i] : T(0);
    vmath::apply(vmath::Fn::Expm1, y, n);
    const T alpha = static_cast<T>(p.a);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] <= 0 ? y[i] * alpha : x[i];
  }
  template <typename T>
  static void grad(const ActParams& p, T* gx, const T* g, const T* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) gx[i] = x[i] <= 0 ? x[i] : T(0);
    vmath::apply(vmath::Fn::Exp, gx, n);
    const T alpha = static_cast<T>(p.a);
    for (int64_t i = 0; i < n; ++i) gx[i] = x[i] <= 0 ? g[i] * alpha * gx[i] : g[i];
  }
  static double d2(const ActParams& p, double x) { return x <= 0 ? p.a * std::exp(x) : 0.0; }
  // The derivative written in the result y (in-place form).
  template <typename T>
  static T h(const ActParams& p, T y) {
    return y <= 0 ? y + static_cast<T>(p.a) : T(1);
  }
  static double h1(const ActParams&, double y) { return y <= 0 ? 1.0 : 0.0; }
  static void check_inplace_backward(const ActParams& p) {
    NABLA_CHECK(p.a >= 0,
                "In-place elu backward calculation is triggered with a negative slope which is not "
                "supported. This is caused by calling in-place forward function with a negative slope, "
                "please call out-of-place version instead.");
  }
};

struct LeakyReluK {
  static constexpr const char* name = "LeakyReluBackward0";
  static constexpr const char* inplace_name = "LeakyReluBackward1";
  static constexpr const char* grad_name = "LeakyReluBackwardBackward0";
  static constexpr const char* kernel = "leaky_relu_cpu";
  template <typename T>
  static void fwd(const ActParams& p, T* y, const T* x, int64_t n) {
    const T s = static_cast<T>(p.a);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : x[i] * s;
  }
  template <typename T>
  static void grad(const ActParams& p, T* gx, const T* g, const T* x, int64_t n) {
    const T s = static_cast<T>(p.a);
    for (int64_t i = 0; i < n; ++i) gx[i] = x[i] > 0 ? g[i] : g[i] * s;
  }
  static double d2(const ActParams&, double) { return 0.0; }
  template <typename T>
  static T h(const ActParams& p, T y) {
    return y > 0 ? T(1) : static_cast<T>(p.a);
  }
  static double h1(const ActParams&, double) { return 0.0; }
  static void check_inplace_backward(const ActParams& p) {
    NABLA_CHECK(p.a >= 0,
                "In-place leakyReLu backward calculation is triggered with a negative slope which is "
                "not supported. This is caused by calling in-place forward function with a negative "
                "slope, please call out-of-place version instead. File an issue at "
                "https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu "
                "backward calculation with negative slope");
  }
};

struct HardtanhK {
  static constexpr const char* name = "HardtanhBackward0";
  static constexpr const char* inplace_name = "HardtanhBackward0";
  static constexpr const char* grad_name = "HardtanhBackwardBackward0";
  static constexpr const char* kernel = "hardtanh_cpu";
  template <typename T>
  static void fwd(const ActParams& p, T* y, const T* x, int64_t n) {
    const T lo = static_cast<T>(p.a), hi = static_cast<T>(p.b);
    for (int64_t i = 0; i < n; ++i) y[i] = std::isnan(x[i]) ? x[i] : std::min(std::max(x[i], lo), hi);
  }
  template <typename T>
  static void grad(const ActParams& p, T* gx, const T* g, const T* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) gx[i] = g[i] * h(p, x[i]);
  }
  static double d2(const ActParams&, double) { return 0.0; }
  template <typename T>
  static T h(const ActParams& p, T v) {
    return v <= static_cast<T>(p.a) || v >= static_cast<T>(p.b) ? T(0) : T(1);
  }
  static double h1(const ActParams&, double) { return 0.0; }
  static void check_inplace_backward(const ActParams&) {}
};

// GELU; p.a != 0 selects the tanh approximation.
struct GeluK {
  static constexpr const char* name = "GeluBackward0";
  static constexpr const char* grad_name = "GeluBackwardBackward0";
  static constexpr const char* kernel = "GeluKernelImpl";
  static constexpr double kBeta = M_SQRT2 * M_2_SQRTPI * 0.5;  // sqrt(2 / pi)
  static constexpr double kKappa = 0.044715;
  static constexpr double kPdf = M_2_SQRTPI * M_SQRT1_2 * 0.5;  // 1 / sqrt(2 pi)
  template <typename T>
  static void fwd(const ActParams& p, T* y, const T* x, int64_t n) {
    if (p.a != 0) {
      for (int64_t i = 0; i < n; ++i) y[i] = T(kBeta) * (x[i] + T(kKappa) * (x[i] * x[i] * x[i]));
      vmath::apply(vmath::Fn::Tanh, y, n);
      for (int64_t i = 0; i < n; ++i) y[i] = T(0.5) * x[i] * (T(1) + y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] * T(M_SQRT1_2);
      vmath::apply(vmath::Fn::Erf, y, n);
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] * T(0.5) * (T(1) + y[i]);
    }
  }
  template <typename T>
  static void grad(const ActParams& p, T* gx, const T* g, const T* x, int64_t n) {
    alignas(64) T e[kBlock];
    if (p.a != 0) {
      for (int64_t i = 0; i < n; ++i) e[i] = T(kBeta) * (x[i] + T(kKappa) * (x[i] * x[i] * x[i]));
      vmath::apply(vmath::Fn::Tanh, e, n);
      for (int64_t i = 0; i < n; ++i) {
        const T left = T(0.5) * x[i], left_d = T(0.5) * (T(1) + e[i]);
        const T right_d = T(1) - e[i] * e[i];
        const T inner_d = T(kBeta) * (T(1) + T(3 * kKappa) * x[i] * x[i]);
        gx[i] = g[i] * (left_d + left * right_d * inner_d);
      }
    } else {
      for (int64_t i = 0; i < n; ++i) {
        gx[i] = x[i] * T(M_SQRT1_2);
        e[i] = x[i] * x[i] * T(-0.5);
      }
      vmath::apply(vmath::Fn::Erf, gx, n);
      vmath::apply(vmath::Fn::Exp, e, n);
      for (int64_t i = 0; i < n; ++i) gx[i] = g[i] * (T(0.5) * (T(1) + gx[i]) + x[i] * (T(kPdf) * e[i]));
    }
  }
  static double d2(const ActParams& p, double x) {
    if (p.a == 0) return kPdf * std::exp(-0.5 * x * x) * (2 - x * x);
    const double u1 = kBeta * (1 + 3 * kKappa * x * x), u2 = kBeta * 6 * kKappa * x;
    const double t = std::tanh(kBeta * (x + kKappa * x * x * x));
    return (1 - t * t) * (u1 + 0.5 * x * (u2 - 2 * t * u1 * u1));
  }
};

struct SiluK {
  static constexpr const char* name = "SiluBackward0";
  static constexpr const char* grad_name = "SiluBackwardBackward0";
  static constexpr const char* kernel = "silu_cpu";
  template <typename T>
  static void fwd(const ActParams&, T* y, const T* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = -x[i];
    vmath::apply(vmath::Fn::Exp, y, n);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (T(1) + y[i]);
  }
  template <typename T>
  static void grad(const ActParams&, T* gx, const T* g, const T* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) gx[i] = -x[i];
    vmath::apply(vmath::Fn::Exp, gx, n);
    for (int64_t i = 0; i < n; ++i) {
      const T s = T(1) / (T(1) + gx[i]);
      gx[i] = g[i] * s * (T(1) + x[i] * (T(1) - s));
    }
  }
  static double d2(const ActParams&, double x) {
    const double s = 1 / (1 + std::exp(-x));
    return s * (1 - s) * (2 + x * (1 - 2 * s));
  }
};

// Softplus with beta = p.a and threshold = p.b.
struct SoftplusK {
  static constexpr const char* name = "SoftplusBackward0";
  static constexpr const char* grad_name = "SoftplusBackwardBackward0";
  static constexpr const char* kernel = "softplus_cpu";
  template <typename T>
  static void fwd(const ActParams& p, T* y, const T* x, int64_t n) {
    const T beta = static_cast<T>(p.a), th = static_cast<T>(p.b);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * beta;
    vmath::apply(vmath::Fn::Exp, y, n);
    vmath::apply(vmath::Fn::Log1p, y, n);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * beta > th ? x[i] : y[i] / beta;
  }
  template <typename T>
  static void grad(const ActParams& p, T* gx, const T* g, const T* x, int64_t n) {
    const T beta = static_cast<T>(p.a), th = static_cast<T>(p.b);
    for (int64_t i = 0; i < n; ++i) gx[i] = x[i] * beta;
    vmath::apply(vmath::Fn::Exp, gx, n);
    for (int64_t i = 0; i < n; ++i) gx[i] = x[i] * beta > th ? g[i] : g[i] * gx[i] / (gx[i] + T(1));
  }
  static double d2(const ActParams& p, double x) {
    if (x * p.a > p.b) return 0.0;
    const double s = 1 / (1 + std::exp(-x * p.a));
    return p.a * s * (1 - s);
  }
};

// ---- drivers ------------------------------------------------------------------------------

template <typename K>
void check_floating(const Tensor& x) {
  NABLA_CHECK(isFloatingType(x.scalar_type()), "\"", K::kernel, "\" not implemented for '",
              scalarTypeName(x.scalar_type()), "'");
}

template <typename K>
Tensor act_forward(const Tensor& input, const ActParams& p) {
  check_floating<K>(input);
  Tensor x = input.contiguous();
  Tensor y = core::empty(x.sizes(), x.scalar_type());
  NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), K::kernel, [&] {
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* yp = y.data_ptr<scalar_t>();
    for_blocks(x.numel(), [&](int64_t o, int64_t n) { K::fwd(p, yp + o, xp + o, n); });
  });
  return y;
}

// g * f'(s): s is the input x, or the result y when kResult (Note [Activation backward]).
template <typename K, bool kResult>
Tensor act_grad(const Tensor& grad, const Tensor& saved, const ActParams& p) {
  Tensor s = saved.contiguous();
  Tensor g = ops::cast(grad, s.scalar_type()).expand(s.sizes()).contiguous();
  Tensor gx = core::empty(s.sizes(), s.scalar_type());
  NABLA_DISPATCH_FLOATING_TYPES(s.scalar_type(), K::kernel, [&] {
    const scalar_t* sp = s.data_ptr<scalar_t>();
    const scalar_t* gp = g.data_ptr<scalar_t>();
    scalar_t* op = gx.data_ptr<scalar_t>();
    for_blocks(s.numel(), [&](int64_t o, int64_t n) {
      if constexpr (kResult) {
        for (int64_t i = o; i < o + n; ++i) op[i] = gp[i] * K::h(p, sp[i]);
      } else {
        K::grad(p, op + o, gp + o, sp + o, n);
      }
    });
  });
  return gx;
}

template <typename K, bool kResult>
struct ActGrad {
  static constexpr const char* name = K::grad_name;
  ActParams p;
  Tensor forward(Ctx& ctx, const Tensor& g, const Tensor& s, const ActParams& p_) {
    p = p_;
    ctx.save(g, s);
    return act_grad<K, kResult>(g, s, p);
  }
  variable_list backward(Ctx& ctx, const variable_list& gg) {
    auto [g, s] = ctx.saved<2>();
    Tensor dg, ds;
    if (ctx.needs_input_grad(0)) dg = autograd::apply<ActGrad>(gg[0], s, p);
    if (ctx.needs_input_grad(1)) {
      const ActParams q = p;
      ds = gg[0] * g * ops::map_const(s, [q](double v) {
        if constexpr (kResult) return K::h1(q, v);
        else return K::d2(q, v);
      });
    }
    return {dg, ds};
  }
};

template <typename K>
struct Act {
  static constexpr const char* name = K::name;
  ActParams p;
  Tensor forward(Ctx& ctx, const Tensor& x, const ActParams& p_) {
    p = p_;
    ctx.save(x);
    return act_forward<K>(x, p);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    return {autograd::apply<ActGrad<K, false>>(g[0], ctx.saved(0), p)};
  }
};

template <typename K>
struct ActInplace {
  static constexpr const char* name = K::inplace_name;
  ActParams p;
  Tensor forward(Ctx& ctx, const Tensor& x, const ActParams& p_) {
    p = p_;
    Tensor y = act_forward<K>(x, p);
    ctx.save_output(y);
    return y;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    K::check_inplace_backward(p);
    return {autograd::apply<ActGrad<K, true>>(g[0], ctx.saved(0), p)};
  }
};

// hardtanh of an integer tensor: the bounds converted to its type (checked as PyTorch's
// Scalar conversion does), no autograd.
Tensor hardtanh_integral(const Tensor& self, const Scalar& lo, const Scalar& hi) {
  const double l = lo.toDouble(), h = hi.toDouble();
  constexpr double kInt64Bound = 9223372036854775808.0;  // 2^63
  for (double v : {l, h})
    NABLA_CHECK(v >= -kInt64Bound && v < kInt64Bound, "value cannot be converted to type int64_t without overflow");
  NABLA_CHECK(self.scalar_type() != kByte || (l >= 0 && h >= 0),
              "cannot do hardtanh on an unsigned type with negative limits");
  Tensor out = core::empty(self.sizes(), self.scalar_type());
  NABLA_DISPATCH_ALL_TYPES(self.scalar_type(), "hardtanh_cpu", [&] {
    const char* type = self.scalar_type() == kByte ? "uint8_t" : self.scalar_type() == kInt ? "int" : "int64_t";
    for (double v : {l, h})
      NABLA_CHECK(v >= static_cast<double>(std::numeric_limits<scalar_t>::lowest()) &&
                      v <= static_cast<double>(std::numeric_limits<scalar_t>::max()),
                  "value cannot be converted to type ", type, " without overflow");
    const auto lt = static_cast<scalar_t>(l), ht = static_cast<scalar_t>(h);
    kernels::unary_loop<scalar_t, scalar_t>(out, self, [&](scalar_t v) { return std::min(std::max(v, lt), ht); });
  });
  return out;
}

}  // namespace

Tensor elu(const Tensor& self, const Scalar& alpha) {
  return autograd::apply<Act<EluK>>(self, ActParams{alpha.toDouble(), 0});
}
Tensor& elu_(Tensor& self, const Scalar& alpha) {
  return autograd::apply_inplace<ActInplace<EluK>>(self, ActParams{alpha.toDouble(), 0});
}
Tensor leaky_relu(const Tensor& self, const Scalar& negative_slope) {
  return autograd::apply<Act<LeakyReluK>>(self, ActParams{negative_slope.toDouble(), 0});
}
Tensor& leaky_relu_(Tensor& self, const Scalar& negative_slope) {
  return autograd::apply_inplace<ActInplace<LeakyReluK>>(self, ActParams{negative_slope.toDouble(), 0});
}
Tensor gelu(const Tensor& self, std::string_view approximate) {
  NABLA_CHECK(approximate == "none" || approximate == "tanh", "approximate argument must be either none or tanh.");
  return autograd::apply<Act<GeluK>>(self, ActParams{approximate == "tanh" ? 1.0 : 0.0, 0});
}
Tensor silu(const Tensor& self) { return autograd::apply<Act<SiluK>>(self, ActParams{}); }
Tensor softplus(const Tensor& self, const Scalar& beta, const Scalar& threshold) {
  return autograd::apply<Act<SoftplusK>>(self, ActParams{beta.toDouble(), threshold.toDouble()});
}
Tensor hardtanh(const Tensor& self, const Scalar& min_val, const Scalar& max_val) {
  if (!isFloatingType(self.scalar_type())) return hardtanh_integral(self, min_val, max_val);
  return autograd::apply<Act<HardtanhK>>(self, ActParams{min_val.toDouble(), max_val.toDouble()});
}
Tensor& hardtanh_(Tensor& self, const Scalar& min_val, const Scalar& max_val) {
  if (!isFloatingType(self.scalar_type())) {
    autograd::check_inplace(self);
    autograd::write_inplace_result(self, hardtanh_integral(self, min_val, max_val));
    return self;
  }
  return autograd::apply_inplace<ActInplace<HardtanhK>>(self, ActParams{min_val.toDouble(), max_val.toDouble()});
}

}  // namespace nabla
