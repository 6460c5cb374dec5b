// The vector layer's accuracy (Note [Vector layer] in src/kernels/cpu/vmath.cpp): the error of
// every function in ulp against a long double reference over its useful range, the IEEE
// special values, independence from position in the array, and that the run-time dispatch
// picked the widest target the CPU has.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/vmath.h"

namespace {

using nabla::kernels::vmath::Fn;
namespace vmath = nabla::kernels::vmath;

long double reference(Fn f, long double x) {
  switch (f) {
    case Fn::Exp: return std::exp(x);
    case Fn::Expm1: return std::expm1(x);
    case Fn::Log: return std::log(x);
    case Fn::Log1p: return std::log1p(x);
    case Fn::Sin: return std::sin(x);
    case Fn::Cos: return std::cos(x);
    case Fn::Tanh: return std::tanh(x);
    case Fn::Erf: return std::erf(x);
    case Fn::Sigmoid: return 1.0L / (1.0L + std::exp(-x));
    case Fn::Sqrt: return std::sqrt(x);
    case Fn::Rsqrt: return 1.0L / std::sqrt(x);
  }
  return 0;
}

// |y - ref| in units of the last place of T at ref.
template <typename T>
double ulp_error(T y, long double ref) {
  if (std::isnan(ref)) return std::isnan(y) ? 0 : 1e9;
  const T r = static_cast<T>(ref);
  if (std::isinf(r)) return y == r ? 0 : 1e9;
  const long double a = std::fabs(ref);
  int e = 0;
  std::frexp(a, &e);
  const int min_exp = std::numeric_limits<T>::min_exponent;
  const long double ulp = std::ldexp(1.0L, std::max(e, min_exp) - std::numeric_limits<T>::digits);
  return static_cast<double>(std::fabs(static_cast<long double>(y) - ref) / ulp);
}

struct Range {
  Fn f;
  const char* name;
  double lo, hi;
  double max_ulp;  // the bound asserted: SLEEF's u10 functions 1 ulp; sigmoid and rsqrt
                   // compose two roundings, as PyTorch's 1 / (1 + exp(-x)) and 1 / sqrt(x)
};

const Range kRanges[] = {
    {Fn::Exp, "exp", -87, 88, 1.0},       {Fn::Expm1, "expm1", -20, 88, 1.0},
    {Fn::Log, "log", 1e-30, 1e30, 1.0},   {Fn::Log1p, "log1p", -0.99, 1e6, 1.0},
    {Fn::Sin, "sin", -1e4, 1e4, 1.0},     {Fn::Cos, "cos", -1e4, 1e4, 1.0},
    {Fn::Tanh, "tanh", -10, 10, 1.0},     {Fn::Erf, "erf", -5, 5, 1.0},
    {Fn::Sigmoid, "sigmoid", -80, 80, 2.5}, {Fn::Sqrt, "sqrt", 0, 1e30, 0.5},
    {Fn::Rsqrt, "rsqrt", 1e-30, 1e30, 1.5},
};

// Samples of [lo, hi]: uniform, plus log-spaced magnitudes for ranges spanning decades.
template <typename T>
std::vector<T> samples(double lo, double hi) {
  std::mt19937_64 gen(42);
  std::vector<T> xs;
  std::uniform_real_distribution<double> u(lo, hi);
  for (int i = 0; i < 40000; ++i) xs.push_back(static_cast<T>(u(gen)));
  if (lo >= 0 && hi / std::max(lo, 1e-300) > 1e3) {
    std::uniform_real_distribution<double> l(std::log(std::max(lo, 1e-30)), std::log(hi));
    for (int i = 0; i < 40000; ++i) xs.push_back(static_cast<T>(std::exp(l(gen))));
  } else {
    std::uniform_real_distribution<double> small(-1, 1);
    for (int i = 0; i < 20000; ++i) {
      const double x = small(gen) * std::pow(10.0, -6 * std::abs(small(gen)));
      if (x >= lo && x <= hi) xs.push_back(static_cast<T>(x));
    }
  }
  return xs;
}

template <typename T>
void check_accuracy() {
  for (const Range& r : kRanges) {
    std::vector<T> xs = samples<T>(r.lo, r.hi), ys(xs.size());
    vmath::apply(r.f, xs.data(), ys.data(), static_cast<int64_t>(xs.size()));
    double worst = 0;
    T worst_x = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double e = ulp_error(ys[i], reference(r.f, static_cast<long double>(xs[i])));
      if (e > worst) worst = e, worst_x = xs[i];
    }
    // 1e-6: the reference is rounded to long double, not exact.
    EXPECT_LE(worst, r.max_ulp + 1e-6) << r.name << " (" << (sizeof(T) == 4 ? "float" : "double")
                                << "): " << worst << " ulp at x = " << worst_x;
  }
}

TEST(VectorLayer, FloatErrorWithinBoundInUlp) { check_accuracy<float>(); }
TEST(VectorLayer, DoubleErrorWithinBoundInUlp) { check_accuracy<double>(); }

template <typename T>
T one(Fn f, T x) {
  T y;
  vmath::apply(f, &x, &y, 1);
  return y;
}

template <typename T>
void check_special_values() {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  EXPECT_EQ(one(Fn::Exp, inf), inf);
  EXPECT_EQ(one(Fn::Exp, -inf), T(0));
  EXPECT_EQ(one(Fn::Exp, T(1000)), inf);
  EXPECT_EQ(one(Fn::Exp, T(-1000)), T(0));
  EXPECT_TRUE(std::isnan(one(Fn::Exp, nan)));
  EXPECT_EQ(one(Fn::Exp, T(0)), T(1));
  EXPECT_EQ(one(Fn::Expm1, -inf), T(-1));
  EXPECT_EQ(one(Fn::Expm1, inf), inf);
  EXPECT_EQ(one(Fn::Log, T(0)), -inf);
  EXPECT_EQ(one(Fn::Log, inf), inf);
  EXPECT_EQ(one(Fn::Log, T(1)), T(0));
  EXPECT_TRUE(std::isnan(one(Fn::Log, T(-1))));
  EXPECT_TRUE(std::isnan(one(Fn::Log, nan)));
  EXPECT_EQ(one(Fn::Log1p, T(-1)), -inf);
  EXPECT_TRUE(std::isnan(one(Fn::Log1p, T(-2))));
  EXPECT_EQ(one(Fn::Tanh, inf), T(1));
  EXPECT_EQ(one(Fn::Tanh, -inf), T(-1));
  EXPECT_TRUE(std::isnan(one(Fn::Tanh, nan)));
  EXPECT_EQ(one(Fn::Erf, inf), T(1));
  EXPECT_EQ(one(Fn::Erf, -inf), T(-1));
  EXPECT_EQ(one(Fn::Sigmoid, inf), T(1));
  EXPECT_EQ(one(Fn::Sigmoid, -inf), T(0));
  EXPECT_TRUE(std::isnan(one(Fn::Sigmoid, nan)));
  EXPECT_TRUE(std::isnan(one(Fn::Sin, inf)));
  EXPECT_TRUE(std::isnan(one(Fn::Cos, -inf)));
  EXPECT_TRUE(std::isnan(one(Fn::Sqrt, T(-1))));
  EXPECT_EQ(one(Fn::Rsqrt, T(0)), inf);
  // Signed zeros survive the odd functions.
  for (Fn f : {Fn::Expm1, Fn::Log1p, Fn::Sin, Fn::Tanh, Fn::Erf, Fn::Sqrt}) EXPECT_TRUE(std::signbit(one(f, T(-0.0))));
  // Far outside the small-argument range, sin and cos stay accurate (SLEEF reduces exactly).
  for (T x : {T(1e6), T(-3e7), T(1e20), std::numeric_limits<T>::max()}) {
    EXPECT_LE(ulp_error(one(Fn::Sin, x), std::sin(static_cast<long double>(x))), 1.0) << "sin(" << x << ")";
    EXPECT_LE(ulp_error(one(Fn::Cos, x), std::cos(static_cast<long double>(x))), 1.0) << "cos(" << x << ")";
  }
  // Subnormal inputs and results.
  const T denorm = std::numeric_limits<T>::denorm_min();
  EXPECT_EQ(one(Fn::Expm1, denorm), denorm);
  EXPECT_EQ(one(Fn::Log, denorm), static_cast<T>(std::log(static_cast<long double>(denorm))));
}

TEST(VectorLayer, FloatSpecialValues) { check_special_values<float>(); }
TEST(VectorLayer, DoubleSpecialValues) { check_special_values<double>(); }

TEST(VectorLayer, ResultDoesNotDependOnPositionInTheArray) {
  // The tail of an array goes through the vector function too: every element of a 37-long
  // array (a tail at every width) equals the same value computed alone.
  std::vector<float> xs(37), ys(37);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = 0.37f * static_cast<float>(i) - 5.1f;
  for (Fn f : {Fn::Exp, Fn::Tanh, Fn::Erf, Fn::Sigmoid, Fn::Sin}) {
    vmath::apply(f, xs.data(), ys.data(), 37);
    for (size_t i = 0; i < xs.size(); ++i) EXPECT_EQ(ys[i], one(f, xs[i])) << "element " << i;
    std::vector<float> inplace = xs;
    vmath::apply(f, inplace.data(), 37);
    EXPECT_EQ(inplace, ys);
  }
}

TEST(VectorLayer, DispatchPicksTheWidestTargetTheCpuHas) {
  const std::string target = vmath::target_name();
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl")) {
    EXPECT_TRUE(target == "AVX3" || target == "AVX3_DL") << target;
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_EQ(target, "AVX2");
  } else if (__builtin_cpu_supports("sse4.2")) {
    EXPECT_EQ(target, "SSE4");
  }
}

}  // namespace
