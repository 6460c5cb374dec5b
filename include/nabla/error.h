#pragma once
/// Every error nabla reports is a nabla::Error, thrown, with PyTorch's wording.
///   try { a.mm(b); } catch (const nabla::Error& e) { std::cerr << e.what(); }
#include <sstream>
#include <stdexcept>
#include <string>

namespace nabla {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

namespace detail {
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace nabla

/// NABLA_CHECK(cond, parts...): throws nabla::Error(parts concatenated) when cond is false.
#define NABLA_CHECK(cond, ...)                                          \
  do {                                                                  \
    if (!(cond)) [[unlikely]] throw ::nabla::Error(::nabla::detail::str(__VA_ARGS__)); \
  } while (0)
