#pragma once
/// Option structs of nn modules and functional calls, with libtorch's chained setters:
///   nn::Conv2dOptions(1, 32, 3).stride(1).padding(1).bias(false)
#include <utility>

/// NABLA_ARG(T, name): a member `name_` of type T with a chained setter `name(value)` that
/// returns the options object, and a getter `name()`.
#define NABLA_ARG(T, name)                                            \
 public:                                                              \
  inline auto name(const T& new_##name) -> decltype(*this) {          \
    this->name##_ = new_##name;                                       \
    return *this;                                                     \
  }                                                                   \
  inline auto name(T&& new_##name) -> decltype(*this) {               \
    this->name##_ = std::move(new_##name);                            \
    return *this;                                                     \
  }                                                                   \
  inline const T& name() const noexcept { return this->name##_; }     \
  inline T& name() noexcept { return this->name##_; }                 \
                                                                      \
 private:                                                             \
  T name##_ /* NOLINT */
