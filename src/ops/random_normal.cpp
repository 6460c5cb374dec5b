// Normal samples in PyTorch's arithmetic (Note [PyTorch-compatible random streams], random.cpp).
//
// Note [Vectorised normal fill for float]
// For a contiguous float tensor of at least 16 elements, PyTorch (CPU capability AVX2) fills
// the tensor with uniform floats and then runs Box-Muller on blocks of 16: element j (< 8)
// and element j + 8 of a block give
//   radius = sqrt(-2 * log(1 - u[j])),  theta = float(2 pi) * u[j + 8],
//   out[j] = fma(radius * cos(theta), std, mean),  out[j + 8] = fma(radius * sin(theta), std, mean).
// A tail (n % 16 != 0) redraws the last 16 elements with fresh uniforms and transforms them
// again. log, sin and cos there are the 8-lane single-precision Cephes polynomials of
// "avx_mathfun" (not libm), compiled with contraction, so several of their steps are fused
// multiply-adds. cephes_logf and cephes_sincosf below follow those steps one lane at a time,
// including where the fused operations are, which makes the results identical bit for bit.
#include <bit>
#include <cmath>

#include "ops/random_common.h"

namespace nabla::ops::random {

namespace {

constexpr double kPi = 3.14159265358979323846;

// log(x) for x in (0, 1] the way the vectorised Cephes routine computes it: split x into
// mantissa m in [sqrt(1/2), sqrt(2)) and exponent e, evaluate a degree-9 polynomial in m - 1,
// and add e * log(2) in two parts.
float cephes_logf(float x) {
  const float min_normal = std::bit_cast<float>(uint32_t{0x00800000});
  if (!(x > min_normal)) x = min_normal;
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 0x7f);
  float m = std::bit_cast<float>((bits & ~uint32_t{0x7f800000}) | std::bit_cast<uint32_t>(0.5f));
  e = e + 1.0f;
  const float mantissa = m;
  const bool below = mantissa < 0.707106781186547524f;
  m = m - 1.0f;
  if (below) {  // 2m - 1 and e - 1, as (m - 1) + m
    e = e - 1.0f;
    m = m + mantissa;
  }
  const float z = m * m;
  float y = 7.0376836292E-2f;
  y = std::fma(y, m, -1.1514610310E-1f);
  y = std::fma(y, m, 1.1676998740E-1f);
  y = std::fma(y, m, -1.2420140846E-1f);
  y = std::fma(y, m, 1.4249322787E-1f);
  y = std::fma(y, m, -1.6668057665E-1f);
  y = std::fma(y, m, 2.0000714765E-1f);
  y = std::fma(y, m, -2.4999993993E-1f);
  y = std::fma(y, m, 3.3333331174E-1f);
  y = y * m;
  y = std::fma(y, z, e * -2.12194440e-4f);
  y = std::fma(-z, 0.5f, y);
  float r = m + y;
  return std::fma(e, 0.693359375f, r);
}

// sin and cos of x >= 0 the way the vectorised Cephes routine computes them: reduce by
// multiples j of pi/4 (j even) in three parts, evaluate both polynomials on the remainder,
// and pick and sign them by j.
void cephes_sincosf(float x, float& s, float& c) {
  const int32_t j = (static_cast<int32_t>(x * 1.27323954473516f) + 1) & ~1;
  const float y = static_cast<float>(j);
  x = std::fma(y, -0.78515625f, x);
  x = std::fma(y, -2.4187564849853515625e-4f, x);
  x = std::fma(y, -3.77489497744594108e-8f, x);
  const float z = x * x;
  float pc = 2.443315711809948E-005f;
  pc = std::fma(pc, z, -1.388731625493765E-003f);
  pc = std::fma(pc, z, 4.166664568298827E-002f);
  pc = pc * z;
  pc = std::fma(pc, z, -(z * 0.5f));
  pc = pc + 1.0f;
  float ps = -1.9515295891E-4f;
  ps = std::fma(ps, z, 8.3321608736E-3f);
  ps = std::fma(ps, z, -1.6666654611E-1f);
  ps = ps * z;
  ps = std::fma(ps, x, x);
  // The routine selects by masking and adds the unselected lane's +0.
  const bool sin_poly = (j & 2) == 0;
  const float sin_v = (sin_poly ? 0.0f : pc) + (sin_poly ? ps : 0.0f);
  const float cos_v = (sin_poly ? pc : 0.0f) + (sin_poly ? 0.0f : ps);
  const uint32_t sin_sign = static_cast<uint32_t>(j & 4) << 29;
  const uint32_t cos_sign = static_cast<uint32_t>(~(j - 2) & 4) << 29;
  s = std::bit_cast<float>(std::bit_cast<uint32_t>(sin_v) ^ sin_sign);
  c = std::bit_cast<float>(std::bit_cast<uint32_t>(cos_v) ^ cos_sign);
}

void box_muller_16_float(float* d, float mean, float std) {
  const float two_pi = static_cast<float>(2.0 * kPi);
  for (int j = 0; j < 8; ++j) {
    const float radius = std::sqrt(-2.0f * cephes_logf(1.0f - d[j]));
    float s, c;
    cephes_sincosf(two_pi * d[j + 8], s, c);
    d[j] = std::fma(radius * c, std, mean);
    d[j + 8] = std::fma(radius * s, std, mean);
  }
}

void box_muller_16_double(double* d, double mean, double std) {
  for (int j = 0; j < 8; ++j) {
    const double radius = std::sqrt(-2 * std::log(1 - d[j]));
    const double theta = 2.0 * kPi * d[j + 8];
    d[j] = std::fma(radius * std::cos(theta), std, mean);
    d[j + 8] = std::fma(radius * std::sin(theta), std, mean);
  }
}

template <typename T, typename Uniform, typename Block>
void normal_fill(T* data, int64_t n, Uniform uniform, Block block) {
  for (int64_t i = 0; i < n; ++i) data[i] = uniform();
  for (int64_t i = 0; i + 16 <= n; i += 16) block(data + i);
  if (n % 16 != 0) {
    T* tail = data + n - 16;
    for (int i = 0; i < 16; ++i) tail[i] = uniform();
    block(tail);
  }
}

}  // namespace

double standard_normal_double(CPUGeneratorImpl* g) {
  if (g->next_double_normal_sample) {
    double v = *g->next_double_normal_sample;
    g->next_double_normal_sample.reset();
    return v;
  }
  const double u1 = uniform01_double(g);
  const double u2 = uniform01_double(g);
  const double r = std::sqrt(-2.0 * std::log(1.0 - u2));
  const double theta = 2.0 * kPi * u1;
  g->next_double_normal_sample = r * std::sin(theta);
  return r * std::cos(theta);
}

void normal_fill_float(float* data, int64_t n, float mean, float std, CPUGeneratorImpl* g) {
  normal_fill(data, n, [g] { return uniform01_float(g); },
              [mean, std](float* d) { box_muller_16_float(d, mean, std); });
}

void normal_fill_double(double* data, int64_t n, double mean, double std, CPUGeneratorImpl* g) {
  normal_fill(data, n, [g] { return uniform01_double(g); },
              [mean, std](double* d) { box_muller_16_double(d, mean, std); });
}

}  // namespace nabla::ops::random
