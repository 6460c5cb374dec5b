#pragma once
/// ExpandingArray<D>: D integers given either as one value (expanded to all D) or as a list of
/// exactly D values, as libtorch's torch::ExpandingArray used by the options of conv and pooling:
///   nn::Conv2dOptions(1, 32, 3)          // kernel_size (3, 3)
///   nn::Conv2dOptions(1, 32, {3, 5})     // kernel_size (3, 5)
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "nabla/array_ref.h"
#include "nabla/error.h"

namespace nabla {

template <size_t D, typename T = int64_t>
class ExpandingArray {
 public:
  ExpandingArray(std::initializer_list<T> list) : ExpandingArray(ArrayRef<T>(list)) {}  // NOLINT
  ExpandingArray(const std::vector<T>& vec) : ExpandingArray(ArrayRef<T>(vec)) {}       // NOLINT
  ExpandingArray(ArrayRef<T> values) {                                                  // NOLINT
    NABLA_CHECK(values.size() == D, "Expected ", D, " values, but instead got ", values.size());
    std::copy(values.begin(), values.end(), values_.begin());
  }
  ExpandingArray(T single_size) { values_.fill(single_size); }         // NOLINT
  ExpandingArray(const std::array<T, D>& values) : values_(values) {}  // NOLINT

  std::array<T, D>& operator*() { return values_; }
  const std::array<T, D>& operator*() const { return values_; }
  std::array<T, D>* operator->() { return &values_; }
  const std::array<T, D>* operator->() const { return &values_; }
  operator ArrayRef<T>() const { return ArrayRef<T>(values_.data(), D); }  // NOLINT
  size_t size() const noexcept { return D; }
  bool operator==(const ExpandingArray& other) const { return values_ == other.values_; }

 protected:
  std::array<T, D> values_;
};

/// ExpandingArray whose elements may be None (std::nullopt), as adaptive pooling's output_size
/// (None keeps the input's size in that dim).
template <size_t D, typename T = int64_t>
class ExpandingArrayWithOptionalElem : public ExpandingArray<D, std::optional<T>> {
  using Base = ExpandingArray<D, std::optional<T>>;

 public:
  using Base::Base;
  ExpandingArrayWithOptionalElem(std::initializer_list<T> list)  // NOLINT
      : ExpandingArrayWithOptionalElem(ArrayRef<T>(list)) {}
  ExpandingArrayWithOptionalElem(const std::vector<T>& vec)  // NOLINT
      : ExpandingArrayWithOptionalElem(ArrayRef<T>(vec)) {}
  ExpandingArrayWithOptionalElem(ArrayRef<T> values) : Base(std::optional<T>()) {  // NOLINT
    NABLA_CHECK(values.size() == D, "Expected ", D, " values, but instead got ", values.size());
    for (size_t i = 0; i < D; ++i) this->values_[i] = values[i];
  }
  ExpandingArrayWithOptionalElem(T single_size) : Base(std::optional<T>(single_size)) {}  // NOLINT
};

/// Prints as Python prints the tuple: `3` for one value... `(3, 3)` for several.
template <size_t D, typename T>
std::ostream& operator<<(std::ostream& os, const ExpandingArray<D, T>& a) {
  os << "(";
  for (size_t i = 0; i < D; ++i) {
    if (i) os << ", ";
    if constexpr (std::is_same_v<T, int64_t>) {
      os << a->at(i);
    } else {
      os << (a->at(i) ? std::to_string(*a->at(i)) : std::string("None"));
    }
  }
  return os << (D == 1 ? ",)" : ")");
}

}  // namespace nabla
