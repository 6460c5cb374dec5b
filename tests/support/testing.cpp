#include "support/testing.h"

#include <cmath>
#include <sstream>

namespace nabla::testing {

Tensor sample(IntArrayRef shape, ScalarType dtype, int seed) {
  // float16, int16, int8: the compute type's values, rounded (every integer fits).
  if (isNarrowType(dtype)) return sample(shape, computeType(dtype), seed).to(dtype);
  Tensor t = empty(shape, dtype);
  NABLA_DISPATCH_ALL_TYPES(dtype, "sample", [&] {
    scalar_t* p = t.data_ptr<scalar_t>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      // A simple integer hash gives irregular but reproducible values.
      uint32_t h = static_cast<uint32_t>(i * 2654435761u + static_cast<uint32_t>(seed) * 40503u + 12345u);
      h ^= h >> 13;
      h *= 0x5bd1e995u;
      h ^= h >> 15;
      if constexpr (std::is_floating_point_v<scalar_t>) {
        double v = (static_cast<double>(h % 60000) / 10000.0) - 3.0;
        if (std::fabs(v) < 0.05) v += 0.1;
        p[i] = static_cast<scalar_t>(v + 0.0123);
      } else if constexpr (std::is_same_v<scalar_t, bool>) {
        p[i] = (h >> 7) & 1;
      } else if constexpr (std::is_same_v<scalar_t, uint8_t>) {
        p[i] = static_cast<scalar_t>(h % 19);
      } else {
        p[i] = static_cast<scalar_t>(static_cast<int64_t>(h % 19) - 9);
      }
    }
  });
  return t;
}

namespace {
template <typename T>
T positive(T v) {
  if constexpr (std::is_floating_point_v<T>) return static_cast<T>(std::fabs(v) + 0.1);
  else if constexpr (std::is_same_v<T, bool>) return true;
  else if constexpr (std::is_same_v<T, uint8_t>) return static_cast<T>(v % 9 + 1);
  else return static_cast<T>(v < 0 ? -v : v == 0 ? 1 : v);
}
}  // namespace

Tensor sample_positive(IntArrayRef shape, ScalarType dtype, int seed) {
  if (isNarrowType(dtype)) return sample_positive(shape, computeType(dtype), seed).to(dtype);
  Tensor t = sample(shape, dtype, seed);
  NABLA_DISPATCH_ALL_TYPES(dtype, "sample_positive", [&] {
    scalar_t* p = t.data_ptr<scalar_t>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = positive(p[i]);
  });
  return t;
}

namespace {
std::string describe(const Tensor& t) {
  std::ostringstream os;
  os << toString(t.scalar_type()) << " " << t.sizes();
  return os.str();
}

::testing::AssertionResult compare_values(const Tensor& a0, const Tensor& e0, double rtol, double atol) {
  Tensor a = a0.detach().to(kDouble).contiguous();
  Tensor e = e0.detach().to(kDouble).contiguous();
  const double* pa = a.data_ptr<double>();
  const double* pe = e.data_ptr<double>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = pa[i], y = pe[i];
    if (std::isnan(x) && std::isnan(y)) continue;
    if (x == y) continue;
    if (std::isfinite(x) && std::isfinite(y) && std::fabs(x - y) <= atol + rtol * std::fabs(y)) continue;
    return ::testing::AssertionFailure() << "value mismatch at flat index " << i << ": got " << x
                                         << ", expected " << y << " (rtol " << rtol << ", atol " << atol
                                         << ")\nactual:   " << a0 << "\nexpected: " << e0;
  }
  return ::testing::AssertionSuccess();
}
}  // namespace

::testing::AssertionResult same(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  if (!actual.defined() || !expected.defined()) {
    if (actual.defined() == expected.defined()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "one tensor is undefined (actual " << actual.defined()
                                         << ", expected " << expected.defined() << ")";
  }
  if (actual.scalar_type() != expected.scalar_type() || actual.sizes() != expected.sizes())
    return ::testing::AssertionFailure() << "got " << describe(actual) << ", expected " << describe(expected);
  if (rtol < 0) {
    switch (actual.scalar_type()) {
      case kFloat: rtol = 1.3e-6; atol = 1e-5; break;
      case kDouble: rtol = 1e-7; atol = 1e-7; break;
      default: rtol = 0; atol = 0; break;
    }
  }
  return compare_values(actual, expected, rtol, atol);
}

::testing::AssertionResult close_values(const Tensor& actual, const Tensor& expected, double rtol, double atol) {
  if (actual.sizes() != expected.sizes())
    return ::testing::AssertionFailure() << "got " << describe(actual) << ", expected " << describe(expected);
  return compare_values(actual, expected, rtol, atol);
}

}  // namespace nabla::testing
