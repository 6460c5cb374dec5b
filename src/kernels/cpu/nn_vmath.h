#pragma once
// Vectorised transcendentals over contiguous arrays for the activation and loss kernels:
// p[i] = f(p[i]) through SLEEF's 1-ulp functions at the widest width the build targets
// (NABLA_NATIVE): AVX-512 (16 x float), AVX2 (8 x float), else SSE2 (4 x float). The SSE2
// forms of tanh, erf and expm1 cost ~10 ns per element, the wide forms a fraction of that. The tail of an array goes through the same vector function (padded), so a value's
// result does not depend on where it sits in the array.
#include <immintrin.h>
#include <sleef.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace nabla::kernels::vmath {

#if defined(__AVX512F__)
#define NABLA_VMATH_FN(Name, fn)                                                   \
  struct Name {                                                                    \
    static __m512 f(__m512 v) { return Sleef_##fn##f16_u10avx512f(v); }            \
    static __m512d f(__m512d v) { return Sleef_##fn##d8_u10avx512f(v); }          \
  };
template <typename T>
struct Vec;
template <>
struct Vec<float> {
  static constexpr int64_t width = 16;
  static __m512 load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, __m512 v) { _mm512_storeu_ps(p, v); }
};
template <>
struct Vec<double> {
  static constexpr int64_t width = 8;
  static __m512d load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, __m512d v) { _mm512_storeu_pd(p, v); }
};
#elif defined(__AVX2__)
#define NABLA_VMATH_FN(Name, fn)                                                   \
  struct Name {                                                                    \
    static __m256 f(__m256 v) { return Sleef_##fn##f8_u10avx2(v); }                \
    static __m256d f(__m256d v) { return Sleef_##fn##d4_u10avx2(v); }              \
  };
template <typename T>
struct Vec;
template <>
struct Vec<float> {
  static constexpr int64_t width = 8;
  static __m256 load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, __m256 v) { _mm256_storeu_ps(p, v); }
};
template <>
struct Vec<double> {
  static constexpr int64_t width = 4;
  static __m256d load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, __m256d v) { _mm256_storeu_pd(p, v); }
};
#else
#define NABLA_VMATH_FN(Name, fn)                                                   \
  struct Name {                                                                    \
    static __m128 f(__m128 v) { return Sleef_##fn##f4_u10(v); }                    \
    static __m128d f(__m128d v) { return Sleef_##fn##d2_u10(v); }                  \
  };
template <typename T>
struct Vec;
template <>
struct Vec<float> {
  static constexpr int64_t width = 4;
  static __m128 load(const float* p) { return _mm_loadu_ps(p); }
  static void store(float* p, __m128 v) { _mm_storeu_ps(p, v); }
};
template <>
struct Vec<double> {
  static constexpr int64_t width = 2;
  static __m128d load(const double* p) { return _mm_loadu_pd(p); }
  static void store(double* p, __m128d v) { _mm_storeu_pd(p, v); }
};
#endif
NABLA_VMATH_FN(Exp, exp)
NABLA_VMATH_FN(Expm1, expm1)
NABLA_VMATH_FN(Log, log)
NABLA_VMATH_FN(Log1p, log1p)
NABLA_VMATH_FN(Tanh, tanh)
NABLA_VMATH_FN(Erf, erf)
#undef NABLA_VMATH_FN

/// p[i] = K(p[i]) for i < n (float or double).
template <typename K, typename T>
inline void apply(T* p, int64_t n) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  using V = Vec<T>;
  constexpr int64_t W = V::width;
  int64_t i = 0;
  for (; i + W <= n; i += W) V::store(p + i, K::f(V::load(p + i)));
  if (i < n) {
    alignas(64) T buf[W] = {};
    std::copy(p + i, p + n, buf);
    V::store(buf, K::f(V::load(buf)));
    std::copy(buf, buf + (n - i), p + i);
  }
}

}  // namespace nabla::kernels::vmath
