// nn::init: torch.nn.init in C++. Every function fills its tensor in place under NoGradGuard
// and draws from the default generator with the same calls, in the same order, as PyTorch's
// Python functions, so that after manual_seed the values agree bit for bit
// (Note [PyTorch-compatible random streams] in src/ops/random.cpp).
#include "nabla/nn/init.h"

#include <cmath>
#include <limits>

#include "nabla/autograd/grad_mode.h"
#include "nabla/functions.h"
#include "nabla/warning.h"

// Gains, bounds and standard deviations must round as Python's double arithmetic does (one
// rounding per operation): 1 + slope * slope fused into one fma can differ in the last bit,
// and so can every weight drawn with that bound. The fma calls of erfinv_scalar are explicit.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#if !defined(__clang__)  // Clang: -ffp-contract=off for the whole build (CMakeLists.txt)
#pragma GCC optimize("fp-contract=off")
#endif
#endif

namespace nabla::nn::init {

namespace {

// Note [erfinv as PyTorch computes it]
// trunc_normal_ maps uniform samples through erfinv. PyTorch's CPU kernel (calc_erfinv) is a
// rational first guess refined by two Newton steps, evaluated in the tensor's own precision
// with glibc's erf/exp/log; its x86-64 (AVX2) build fuses each multiply-add of the
// polynomials into one fma. The explicit std::fma calls below reproduce that rounding, so the
// results are PyTorch's bit for bit for float and double.
template <typename T>
T erfinv_scalar(T y) {
  static constexpr T a[4] = {T(0.886226899), T(-1.645349621), T(0.914624893), T(-0.140543331)};
  static constexpr T b[4] = {T(-2.118377725), T(1.442710462), T(-0.329097515), T(0.012229801)};
  static constexpr T c[4] = {T(-1.970840454), T(-1.624906493), T(3.429567803), T(1.641345311)};
  static constexpr T d[2] = {T(3.543889200), T(1.637067800)};
  const T y_abs = std::abs(y);
  if (y_abs > T(1)) return std::numeric_limits<T>::quiet_NaN();
  if (y_abs == T(1)) return std::copysign(std::numeric_limits<T>::infinity(), y);
  T x;
  if (y_abs <= T(0.7)) {
    const T z = y * y;
    const T num = std::fma(std::fma(std::fma(a[3], z, a[2]), z, a[1]), z, a[0]);
    const T dem = std::fma(std::fma(std::fma(std::fma(b[3], z, b[2]), z, b[1]), z, b[0]), z, T(1));
    x = y * num / dem;
  } else {
    const T z = std::sqrt(-std::log((T(1) - y_abs) / T(2)));
    const T num = std::fma(std::fma(std::fma(c[3], z, c[2]), z, c[1]), z, c[0]);
    const T dem = std::fma(std::fma(d[1], z, d[0]), z, T(1));
    x = std::copysign(num, y) / dem;
  }
  const T two_over_sqrt_pi = T(2) * T(0.564189583547756286948079451560772586);
  for (int step = 0; step < 2; ++step) x = x - (std::erf(x) - y) / (two_over_sqrt_pi * std::exp(-x * x));
  return x;
}

// tensor.erfinv_() for a floating tensor (any layout).
void erfinv_inplace(Tensor& tensor) {
  Tensor work = tensor.is_contiguous() ? tensor : tensor.contiguous();
  const int64_t n = work.numel();
  if (work.scalar_type() == kFloat) {
    float* p = work.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) p[i] = erfinv_scalar(p[i]);
  } else {
    double* p = work.data_ptr<double>();
    for (int64_t i = 0; i < n; ++i) p[i] = erfinv_scalar(p[i]);
  }
  if (!work.is_same(tensor)) tensor.copy_(work);
}

double norm_cdf(double x) { return (1. + std::erf(x / std::sqrt(2.))) / 2.; }

bool has_zero_dim(const Tensor& t) {
  for (int64_t s : t.sizes())
    if (s == 0) return true;
  return false;
}

// std of kaiming_*: gain / sqrt(fan); nullopt (after PyTorch's warning) for an empty tensor.
std::optional<double> kaiming_std(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  if (has_zero_dim(tensor)) {
    warn("Initializing zero-element tensors is a no-op");
    return std::nullopt;
  }
  auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  const int64_t fan = mode == kFanIn ? fan_in : fan_out;
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
}

double xavier_std(const Tensor& tensor, double gain) {
  auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  return gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case kTanh: return 5.0 / 3;
    case kReLU: return std::sqrt(2.0);
    case kLeakyReLU: return std::sqrt(2.0 / (1 + param * param));
    case kSELU: return 3.0 / 4;
    default: return 1;  // linear, conv*, sigmoid
  }
}

Tensor constant_(Tensor tensor, Scalar value) {
  NoGradGuard guard;
  tensor.fill_(value);
  return tensor;
}

Tensor zeros_(Tensor tensor) {
  NoGradGuard guard;
  tensor.zero_();
  return tensor;
}

Tensor ones_(Tensor tensor) {
  NoGradGuard guard;
  tensor.fill_(1);
  return tensor;
}

Tensor eye_(Tensor matrix) {
  NABLA_CHECK(matrix.dim() == 2, "Only tensors with 2 dimensions are supported");
  NoGradGuard guard;
  matrix.zero_();
  const int64_t n = std::min(matrix.size(0), matrix.size(1));
  for (int64_t i = 0; i < n; ++i) matrix.select(0, i).select(0, i).fill_(1);
  return matrix;
}

Tensor dirac_(Tensor tensor, int64_t groups) {
  const int64_t dims = tensor.dim();
  NABLA_CHECK(dims >= 3 && dims <= 5, "Only tensors with 3, 4, or 5 dimensions are supported");
  NABLA_CHECK(tensor.size(0) % groups == 0, "dim 0 must be divisible by groups");
  const int64_t out_per_group = tensor.size(0) / groups;
  const int64_t min_dim = std::min(out_per_group, tensor.size(1));
  NoGradGuard guard;
  tensor.zero_();
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t d = 0; d < min_dim; ++d) {
      Tensor e = tensor.select(0, g * out_per_group + d).select(0, d);
      for (int64_t k = 2; k < dims; ++k) e = e.select(0, tensor.size(k) / 2);
      e.fill_(1);
    }
  }
  return tensor;
}

Tensor uniform_(Tensor tensor, double low, double high) {
  NoGradGuard guard;
  tensor.uniform_(low, high);
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std) {
  NoGradGuard guard;
  tensor.normal_(mean, std);
  return tensor;
}

Tensor trunc_normal_(Tensor tensor, double mean, double std, double a, double b) {
  if (mean < a - 2 * std || mean > b + 2 * std)
    warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
         "The distribution of values may be incorrect.");
  NoGradGuard guard;
  const double l = norm_cdf((a - mean) / std);
  const double u = norm_cdf((b - mean) / std);
  tensor.uniform_(2 * l - 1, 2 * u - 1);
  erfinv_inplace(tensor);
  tensor.mul_(std * std::sqrt(2.));
  tensor.add_(mean);
  tensor.clamp_(a, b);
  return tensor;
}

Tensor xavier_uniform_(Tensor tensor, double gain) {
  const double bound = std::sqrt(3.0) * xavier_std(tensor, gain);
  NoGradGuard guard;
  tensor.uniform_(-bound, bound);
  return tensor;
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  const double std = xavier_std(tensor, gain);
  NoGradGuard guard;
  tensor.normal_(0., std);
  return tensor;
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  std::optional<double> std = kaiming_std(tensor, a, mode, nonlinearity);
  if (!std) return tensor;
  const double bound = std::sqrt(3.0) * *std;
  NoGradGuard guard;
  tensor.uniform_(-bound, bound);
  return tensor;
}

Tensor kaiming_normal_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  std::optional<double> std = kaiming_std(tensor, a, mode, nonlinearity);
  if (!std) return tensor;
  NoGradGuard guard;
  tensor.normal_(0, *std);
  return tensor;
}

std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor) {
  NABLA_CHECK(tensor.dim() >= 2,
              "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

}  // namespace nabla::nn::init
