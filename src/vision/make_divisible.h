#pragma once
// torchvision's _make_divisible (models/_utils.py), shared by MobileNetV2 and EfficientNet.
#include <algorithm>
#include <cstdint>
#include <optional>

namespace nabla::vision::models::detail {

/// v rounded to the nearest multiple of divisor (at least min_value, default divisor), one
/// divisor more if rounding went down by more than 10%.
inline int64_t make_divisible(double v, int64_t divisor, std::optional<int64_t> min_value = std::nullopt) {
  const int64_t lo = min_value.value_or(divisor);
  int64_t new_v = std::max(lo, static_cast<int64_t>(v + static_cast<double>(divisor) / 2) / divisor * divisor);
  if (static_cast<double>(new_v) < 0.9 * v) new_v += divisor;
  return new_v;
}

}  // namespace nabla::vision::models::detail
