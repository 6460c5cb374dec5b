#pragma once
/// The core of nabla's libtorch drop-in (the opt-in CMake target nabla::torch): the namespaces
/// torch::, at:: and c10:: name nabla's API, plus the names libtorch programs use that nabla
/// spells otherwise (dtype short names, torch::optional, torch::str, libtorch's macros).
///   #include <torch/torch.h>   // with target_link_libraries(app nabla::torch)
///   torch::Tensor x = torch::ones({2, 2}, torch::requires_grad());
/// Everything here is a name for something nabla already has; nabla's own headers never
/// include this directory.
#include <nabla/nabla.h>

#include <optional>
#include <string>

// Note [torch, at and c10 name nabla]
// Each namespace pulls in nabla's with a using-directive rather than being an alias of it, so
// that the few names libtorch has and nabla does not (torch::cuda, torch::save of a module,
// c10::optional, ...) live in torch/at/c10 alone and never in namespace nabla. A qualified name
// (torch::nn::Linear) finds nabla's through the directive; a name declared here wins over
// nabla's of the same spelling (torch::save is libtorch's save, nabla::save stays safetensors).
namespace torch {
using namespace ::nabla;
using Dtype = ::nabla::ScalarType;
using std::nullopt;
using std::optional;
/// The parts concatenated with operator<< (libtorch's torch::str / c10::str).
template <typename... Args>
std::string str(const Args&... args) {
  return ::nabla::detail::str(args...);
}
inline constexpr ScalarType kU8 = ::nabla::kByte;
inline constexpr ScalarType kI32 = ::nabla::kInt;
inline constexpr ScalarType kI64 = ::nabla::kLong;
inline constexpr ScalarType kF32 = ::nabla::kFloat;
inline constexpr ScalarType kF64 = ::nabla::kDouble;
inline constexpr ScalarType kF16 = ::nabla::kHalf;
inline constexpr ScalarType kI16 = ::nabla::kShort;
inline constexpr ScalarType kI8 = ::nabla::kChar;
}  // namespace torch

namespace at {
using namespace ::nabla;
using std::nullopt;
using std::optional;
using ::torch::str;
}  // namespace at

namespace c10 {
using namespace ::nabla;
using std::nullopt;
using std::optional;
using ::torch::str;
}  // namespace c10

namespace torch::detail_compat {
/// TORCH_CHECK's text: the parts given, or libtorch's default for a bare condition.
template <typename... Args>
std::string check_message(const char* condition, const Args&... args) {
  if constexpr (sizeof...(Args) == 0)
    return ::nabla::detail::str("Expected ", condition,
                                " to be true, but got false.  (Could this error message be improved?  If so, "
                                "please report an enhancement request to PyTorch.)");
  else
    return ::nabla::detail::str(args...);
}
}  // namespace torch::detail_compat

/// TORCH_CHECK(cond, parts...): throws nabla::Error (c10::Error names it) when cond is false.
#define TORCH_CHECK(cond, ...)                                                                       \
  do {                                                                                               \
    if (!(cond)) [[unlikely]]                                                                        \
      throw ::nabla::Error(::torch::detail_compat::check_message(#cond __VA_OPT__(, ) __VA_ARGS__)); \
  } while (0)
/// TORCH_INTERNAL_ASSERT(cond, parts...): as libtorch, an Error that names the failed condition.
#define TORCH_INTERNAL_ASSERT(cond, ...)                                                                           \
  do {                                                                                                             \
    if (!(cond)) [[unlikely]]                                                                                      \
      throw ::nabla::Error(::nabla::detail::str(#cond " INTERNAL ASSERT FAILED at \"", __FILE__, "\":", __LINE__,  \
                                                ", please report a bug to PyTorch. " __VA_OPT__(, ) __VA_ARGS__)); \
  } while (0)
#define AT_ASSERT(...) TORCH_INTERNAL_ASSERT(__VA_ARGS__)
#define AT_ERROR(...) throw ::nabla::Error(::nabla::detail::str(__VA_ARGS__))
/// TORCH_WARN(parts...): nabla::warn (stderr once per message unless a handler is installed).
#define TORCH_WARN(...) ::nabla::warn(::nabla::detail::str(__VA_ARGS__))
#define TORCH_MODULE(Name) NABLA_MODULE(Name)
#define TORCH_MODULE_IMPL(Name, Impl) NABLA_MODULE_IMPL(Name, Impl)
#define TORCH_ARG(T, name) NABLA_ARG(T, name)
#define FORWARD_HAS_DEFAULT_ARGS(...) NABLA_FORWARD_HAS_DEFAULT_ARGS(__VA_ARGS__)
