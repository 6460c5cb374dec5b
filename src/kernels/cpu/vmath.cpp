// Note [Vector layer]
// The floating functions of nabla's kernels (exp, log, tanh, erf, sigmoid, ...) are written once
// here over Google Highway and compiled for every x86 target Highway can reach (SSE4, AVX2,
// AVX-512, ...); HWY_DYNAMIC_DISPATCH picks the best one the running CPU has, so one binary
// uses AVX-512 on a machine that has it and AVX2 or SSE4 elsewhere.
//
// Accuracy: the transcendentals are SLEEF's 1-ulp functions (what PyTorch's own vectorised
// CPU paths use) at the target's width, called on Highway's registers; Highway's contrib math
// measures 2-4 ulp for log, expm1, tanh and sin/cos and has no erf, so SLEEF stays where it is
// the more accurate (tests/ops/vmath_ulp_test.cpp measures both the error and the special
// values). Targets without a SLEEF build (the scalar fallbacks) use <cmath>.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/cpu/vmath.cpp"
#include <hwy/foreach_target.h>  // re-includes this file once per target

#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#ifndef NABLA_VMATH_SLEEF_DECLS
#define NABLA_VMATH_SLEEF_DECLS
#include <immintrin.h>
// sleef.h declares each width only when the whole file is compiled for it (-mavx2, ...);
// Highway compiles per function, so the functions used are declared here, each with the target
// it is built for (Clang checks the vector ABI of a call against the callee's declaration).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
extern "C" {
#define NABLA_SLEEF_DECL(name)                                                        \
  __m128 Sleef_##name##f4_u10sse4(__m128) __attribute__((target("sse4.2")));          \
  __m128d Sleef_##name##d2_u10sse4(__m128d) __attribute__((target("sse4.2")));        \
  __m256 Sleef_##name##f8_u10avx2(__m256) __attribute__((target("avx2,fma")));        \
  __m256d Sleef_##name##d4_u10avx2(__m256d) __attribute__((target("avx2,fma")));      \
  __m512 Sleef_##name##f16_u10avx512f(__m512) __attribute__((target("avx512f")));     \
  __m512d Sleef_##name##d8_u10avx512f(__m512d) __attribute__((target("avx512f")));
NABLA_SLEEF_DECL(exp)
NABLA_SLEEF_DECL(expm1)
NABLA_SLEEF_DECL(log)
NABLA_SLEEF_DECL(log1p)
NABLA_SLEEF_DECL(sin)
NABLA_SLEEF_DECL(cos)
NABLA_SLEEF_DECL(tanh)
NABLA_SLEEF_DECL(erf)
#undef NABLA_SLEEF_DECL
}
#pragma GCC diagnostic pop
#endif

#include "kernels/cpu/vmath.h"

HWY_BEFORE_NAMESPACE();
namespace nabla::kernels::vmath {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// SLEEF's function for this target's full vector, or none (then <cmath> per lane).
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#define NABLA_SLEEF_F(name) Sleef_##name##f16_u10avx512f
#define NABLA_SLEEF_D(name) Sleef_##name##d8_u10avx512f
#define NABLA_HAVE_SLEEF 1
#elif HWY_TARGET == HWY_AVX2
#define NABLA_SLEEF_F(name) Sleef_##name##f8_u10avx2
#define NABLA_SLEEF_D(name) Sleef_##name##d4_u10avx2
#define NABLA_HAVE_SLEEF 1
#elif HWY_TARGET == HWY_SSE4
#define NABLA_SLEEF_F(name) Sleef_##name##f4_u10sse4
#define NABLA_SLEEF_D(name) Sleef_##name##d2_u10sse4
#define NABLA_HAVE_SLEEF 1
#else
#define NABLA_HAVE_SLEEF 0
#endif

template <typename T>
using Tag = hn::ScalableTag<T>;
template <typename T>
using V = hn::Vec<Tag<T>>;

#if NABLA_HAVE_SLEEF
#define NABLA_TRANSCENDENTAL(Name, name)                                         \
  struct Name {                                                                  \
    static V<float> f(V<float> v) { return V<float>{NABLA_SLEEF_F(name)(v.raw)}; } \
    static V<double> f(V<double> v) { return V<double>{NABLA_SLEEF_D(name)(v.raw)}; } \
  };
#else
#define NABLA_TRANSCENDENTAL(Name, name)                                         \
  struct Name {                                                                  \
    template <typename Vec>                                                      \
    static Vec f(Vec v) {                                                        \
      using T = hn::TFromV<Vec>;                                                 \
      const Tag<T> d;                                                            \
      HWY_ALIGN T buf[hn::MaxLanes(d)];                                          \
      hn::Store(v, d, buf);                                                      \
      for (auto& x : buf) x = static_cast<T>(std::name(x));                      \
      return hn::Load(d, buf);                                                   \
    }                                                                            \
  };
#endif
NABLA_TRANSCENDENTAL(Exp, exp)
NABLA_TRANSCENDENTAL(Expm1, expm1)
NABLA_TRANSCENDENTAL(Log, log)
NABLA_TRANSCENDENTAL(Log1p, log1p)
NABLA_TRANSCENDENTAL(Sin, sin)
NABLA_TRANSCENDENTAL(Cos, cos)
NABLA_TRANSCENDENTAL(Tanh, tanh)
NABLA_TRANSCENDENTAL(Erf, erf)
#undef NABLA_TRANSCENDENTAL
#undef NABLA_SLEEF_F
#undef NABLA_SLEEF_D
#undef NABLA_HAVE_SLEEF

struct Sigmoid {  // 1 / (1 + exp(-x)), as PyTorch's vectorised sigmoid
  template <typename Vec>
  static Vec f(Vec v) {
    const Tag<hn::TFromV<Vec>> d;
    const Vec one = hn::Set(d, 1);
    return hn::Div(one, hn::Add(one, Exp::f(hn::Neg(v))));
  }
};
struct Sqrt {
  template <typename Vec>
  static Vec f(Vec v) {
    return hn::Sqrt(v);
  }
};
struct Rsqrt {  // the exact 1 / sqrt(x), not the approximate reciprocal
  template <typename Vec>
  static Vec f(Vec v) {
    const Tag<hn::TFromV<Vec>> d;
    return hn::Div(hn::Set(d, 1), hn::Sqrt(v));
  }
};

template <class K, typename T>
void run(const T* x, T* y, int64_t n) {
  const Tag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(K::f(hn::LoadU(d, x + i)), d, y + i);
  if (i < n) {
    HWY_ALIGN T buf[hn::MaxLanes(d)] = {};
    std::copy(x + i, x + n, buf);
    hn::Store(K::f(hn::Load(d, buf)), d, buf);
    std::copy(buf, buf + (n - i), y + i);
  }
}

template <typename T>
void apply_fn(Fn f, const T* x, T* y, int64_t n) {
  switch (f) {
    case Fn::Exp: return run<Exp>(x, y, n);
    case Fn::Expm1: return run<Expm1>(x, y, n);
    case Fn::Log: return run<Log>(x, y, n);
    case Fn::Log1p: return run<Log1p>(x, y, n);
    case Fn::Sin: return run<Sin>(x, y, n);
    case Fn::Cos: return run<Cos>(x, y, n);
    case Fn::Tanh: return run<Tanh>(x, y, n);
    case Fn::Erf: return run<Erf>(x, y, n);
    case Fn::Sigmoid: return run<Sigmoid>(x, y, n);
    case Fn::Sqrt: return run<Sqrt>(x, y, n);
    case Fn::Rsqrt: return run<Rsqrt>(x, y, n);
  }
}

// y = softmax(x) (or log_softmax) of one contiguous row: the max (NaN wins), exp(x - max) summed
// in T with four accumulators as PyTorch's vectorised softmax, then the scale.
template <typename T>
void softmax_row_t(const T* x, T* y, int64_t n, bool log) {
  const Tag<T> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  using Vec = V<T>;
  Vec vmax = hn::Set(d, -std::numeric_limits<T>::infinity());
  Vec nan = hn::Zero(d);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    const Vec v = hn::LoadU(d, x + i);
    vmax = hn::Max(vmax, v);
    nan = hn::Or(nan, hn::VecFromMask(d, hn::IsNaN(v)));
  }
  T mx = hn::GetLane(hn::MaxOfLanes(d, vmax));
  bool any_nan = !hn::AllFalse(d, hn::MaskFromVec(nan));
  for (; i < n; ++i) {
    if (std::isnan(x[i])) any_nan = true;
    mx = x[i] > mx ? x[i] : mx;
  }
  if (any_nan) mx = std::numeric_limits<T>::quiet_NaN();
  const Vec vm = hn::Set(d, mx);
  Vec s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    const Vec e0 = Exp::f(hn::Sub(hn::LoadU(d, x + i), vm));
    const Vec e1 = Exp::f(hn::Sub(hn::LoadU(d, x + i + N), vm));
    const Vec e2 = Exp::f(hn::Sub(hn::LoadU(d, x + i + 2 * N), vm));
    const Vec e3 = Exp::f(hn::Sub(hn::LoadU(d, x + i + 3 * N), vm));
    hn::StoreU(e0, d, y + i);
    hn::StoreU(e1, d, y + i + N);
    hn::StoreU(e2, d, y + i + 2 * N);
    hn::StoreU(e3, d, y + i + 3 * N);
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
    s2 = hn::Add(s2, e2);
    s3 = hn::Add(s3, e3);
  }
  for (; i + N <= n; i += N) {
    const Vec e = Exp::f(hn::Sub(hn::LoadU(d, x + i), vm));
    hn::StoreU(e, d, y + i);
    s0 = hn::Add(s0, e);
  }
  T sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  if (i < n) {  // the tail through the same exp, padded
    HWY_ALIGN T buf[hn::MaxLanes(d)] = {};
    for (int64_t j = i; j < n; ++j) buf[j - i] = x[j] - mx;
    hn::Store(Exp::f(hn::Load(d, buf)), d, buf);
    for (int64_t j = i; j < n; ++j) {
      y[j] = buf[j - i];
      sum += buf[j - i];
    }
  }
  if (log) {
    const T lsum = std::log(sum);
    const Vec vl = hn::Set(d, lsum);
    i = 0;
    for (; i + N <= n; i += N) hn::StoreU(hn::Sub(hn::Sub(hn::LoadU(d, x + i), vm), vl), d, y + i);
    for (; i < n; ++i) y[i] = (x[i] - mx) - lsum;
  } else {
    const T inv = T(1) / sum;
    const Vec vi = hn::Set(d, inv);
    i = 0;
    for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, y + i), vi), d, y + i);
    for (; i < n; ++i) y[i] *= inv;
  }
}

void softmax_f32(const float* x, float* y, int64_t n, bool log) { softmax_row_t(x, y, n, log); }
void softmax_f64(const double* x, double* y, int64_t n, bool log) { softmax_row_t(x, y, n, log); }

void apply_f32(Fn f, const float* x, float* y, int64_t n) { apply_fn(f, x, y, n); }
void apply_f64(Fn f, const double* x, double* y, int64_t n) { apply_fn(f, x, y, n); }
const char* name_of_target() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace nabla::kernels::vmath
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/loops.h"

namespace nabla::kernels::vmath {

HWY_EXPORT(apply_f32);
HWY_EXPORT(apply_f64);
HWY_EXPORT(name_of_target);
HWY_EXPORT(softmax_f32);
HWY_EXPORT(softmax_f64);

void softmax_row(const float* x, float* y, int64_t n, bool log) { HWY_DYNAMIC_DISPATCH(softmax_f32)(x, y, n, log); }
void softmax_row(const double* x, double* y, int64_t n, bool log) { HWY_DYNAMIC_DISPATCH(softmax_f64)(x, y, n, log); }

void apply(Fn f, const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(apply_f32)(f, x, y, n); }
void apply(Fn f, const double* x, double* y, int64_t n) { HWY_DYNAMIC_DISPATCH(apply_f64)(f, x, y, n); }
void apply(Fn f, float* p, int64_t n) { HWY_DYNAMIC_DISPATCH(apply_f32)(f, p, p, n); }
void apply(Fn f, double* p, int64_t n) { HWY_DYNAMIC_DISPATCH(apply_f64)(f, p, p, n); }
const char* target_name() { return HWY_DYNAMIC_DISPATCH(name_of_target)(); }

namespace {
template <typename T>
void unary_typed(Fn f, const Tensor& out, const Tensor& a) {
  StridedIter<2> it({&out, &a});
  it.run([f](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) return apply(f, x, o, n);
    // Strided: through a small buffer, in the same vector function.
    constexpr int64_t kBuf = 256;
    T buf[kBuf];
    for (int64_t i = 0; i < n; i += kBuf) {
      const int64_t m = std::min(kBuf, n - i);
      for (int64_t j = 0; j < m; ++j) buf[j] = *reinterpret_cast<const T*>(p[1] + (i + j) * s[1]);
      apply(f, buf, m);
      for (int64_t j = 0; j < m; ++j) *reinterpret_cast<T*>(p[0] + (i + j) * s[0]) = buf[j];
    }
  });
}
}  // namespace

void unary(Fn f, const Tensor& out, const Tensor& a) {
  if (out.scalar_type() == kFloat) return unary_typed<float>(f, out, a);
  NABLA_CHECK(out.scalar_type() == kDouble, "vmath::unary: unsupported dtype ", scalarTypeName(out.scalar_type()));
  unary_typed<double>(f, out, a);
}

}  // namespace nabla::kernels::vmath
#endif  // HWY_ONCE
