#pragma once
/// Scalar: a number passed to an op (`t * 2.5`, `t.add(1)`), remembering whether it was a
/// bool, an integer or a floating value, because PyTorch's promotion rules depend on it
/// (an int tensor times 2.5 is float32; times 2 stays int64).
#include <cstdint>
#include <type_traits>

#include "nabla/dtype.h"

namespace nabla {

class Scalar {
 public:
  enum class Kind : uint8_t { Bool, Int, Float };

  Scalar() : Scalar(int64_t(0)) {}
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Scalar(T v) : kind_(Kind::Int), i_(static_cast<int64_t>(v)) {}  // NOLINT
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Scalar(T v) : kind_(Kind::Float), d_(static_cast<double>(v)) {}  // NOLINT
  Scalar(bool v) : kind_(Kind::Bool), i_(v) {}  // NOLINT
  Scalar(Half v) : kind_(Kind::Float), d_(static_cast<float>(v)) {}  // NOLINT

  Kind kind() const { return kind_; }
  bool isFloatingPoint() const { return kind_ == Kind::Float; }
  bool isIntegral(bool include_bool) const {
    return kind_ == Kind::Int || (include_bool && kind_ == Kind::Bool);
  }
  bool isBoolean() const { return kind_ == Kind::Bool; }

  double toDouble() const { return kind_ == Kind::Float ? d_ : static_cast<double>(i_); }
  int64_t toLong() const { return kind_ == Kind::Float ? static_cast<int64_t>(d_) : i_; }
  bool toBool() const { return kind_ == Kind::Float ? d_ != 0 : i_ != 0; }
  template <typename T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>) return toBool();
    else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(toDouble());
    else return kind_ == Kind::Float ? static_cast<T>(d_) : static_cast<T>(i_);
  }
  /// The dtype a 0-dim tensor holding this value would have (bool, int64 or float64).
  ScalarType type() const {
    return kind_ == Kind::Float ? kDouble : kind_ == Kind::Int ? kLong : kBool;
  }
  Scalar operator-() const {
    if (kind_ == Kind::Float) return Scalar(-d_);
    return Scalar(-i_);
  }

 private:
  Kind kind_;
  union {
    int64_t i_;
    double d_;
  };
};

}  // namespace nabla
