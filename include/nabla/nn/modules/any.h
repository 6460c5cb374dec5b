#pragma once
/// AnyValue and AnyModule: type erasure for values and modules, as libtorch's. Sequential
/// stores its layers as AnyModules, so it can hold any module and call its forward().
///   nn::AnyModule m(nn::Linear(4, 3));
///   Tensor y = m.forward(x);                 // Linear's forward, through the erased type
///   nn::Linear& fc = m.get<nn::LinearImpl>();  // back to the concrete module
#include <any>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "nabla/nn/module.h"

namespace nabla::nn {

namespace detail {
/// "nabla::nn::LinearImpl": the demangled C++ name of a type, for messages.
std::string demangle(const std::type_info& type);
template <typename T>
inline constexpr bool is_module_v = std::is_base_of_v<Module, std::decay_t<T>>;
}  // namespace detail

/// A value of any copyable type: what a type-erased forward() takes and returns.
class AnyValue {
 public:
  template <typename T, typename = std::enable_if_t<!std::is_same_v<std::decay_t<T>, AnyValue>>>
  explicit AnyValue(T&& value) : value_(std::forward<T>(value)) {}

  /// A pointer to the value if it is a T, else nullptr.
  template <typename T>
  T* try_get() noexcept {
    return std::any_cast<T>(&value_);
  }
  template <typename T>
  const T* try_get() const noexcept {
    return std::any_cast<T>(&value_);
  }
  /// The value as a T; an error if it holds another type.
  template <typename T>
  T get() const {
    if (const T* v = try_get<T>()) return *v;
    throw Error(::nabla::detail::str("Attempted to cast AnyValue to ", detail::demangle(typeid(T)),
                                     ", but its actual type is ", detail::demangle(type_info())));
  }
  const std::type_info& type_info() const noexcept { return value_.type(); }

 private:
  std::any value_;
};

class AnyModule;

namespace detail {

// Note [Default arguments of forward]
// A type-erased call cannot see C++ default arguments, so a module whose forward() has them
// lists them with NABLA_FORWARD_HAS_DEFAULT_ARGS (libtorch's FORWARD_HAS_DEFAULT_ARGS):
// Sequential and AnyModule then fill in the missing trailing arguments, and
// `nn::Sequential(nn::ConvTranspose2d(...), nn::Tanh())` calls forward(x) as C++ would.
struct ForwardDefaults {
  template <typename M>
  static constexpr bool has = requires { M::_forward_default_args(); };
  template <typename M>
  static std::vector<std::pair<unsigned, AnyValue>> of() {
    return M::_forward_default_args();
  }
};

// Calls m.forward with the values in args, converted to forward's parameter types.
template <typename M, typename F, typename R, typename... A, size_t... I>
AnyValue call_forward(M& m, F f, std::vector<AnyValue>& args, std::index_sequence<I...>) {
  static_assert(!std::is_void_v<R>, "AnyModule needs a forward() that returns a value");
  constexpr size_t n = sizeof...(A);
  if constexpr (ForwardDefaults::has<M>) {
    auto defaults = ForwardDefaults::of<M>();
    const size_t required = defaults.front().first;
    NABLA_CHECK(args.size() >= required && args.size() <= n, demangle(typeid(M)),
                "'s forward() method expects at least ", required, " argument(s) and at most ", n,
                " argument(s), but received ", args.size(), ".");
    for (auto& [index, value] : defaults)
      if (index >= args.size()) args.push_back(std::move(value));
  } else {
    NABLA_CHECK(args.size() == n, demangle(typeid(M)), "'s forward() method expects ", n,
                " argument(s), but received ", args.size(), ".",
                args.size() < n ? ::nabla::detail::str(" If ", demangle(typeid(M)),
                                                       "'s forward() method has default arguments, please make "
                                                       "sure the forward() method is declared with a corresponding "
                                                       "`FORWARD_HAS_DEFAULT_ARGS` macro.")
                                : std::string());
  }
  auto arg = [](AnyValue& v, auto tag) -> decltype(auto) {
    using P = typename decltype(tag)::type;
    using D = std::decay_t<P>;
    D* p = v.try_get<D>();
    NABLA_CHECK(p, "Attempted to cast AnyValue to ", demangle(typeid(D)), ", but its actual type is ",
                demangle(v.type_info()));
    if constexpr (std::is_lvalue_reference_v<P> && !std::is_const_v<std::remove_reference_t<P>>)
      return static_cast<D&>(*p);
    else
      return static_cast<D&&>(*p);
  };
  return AnyValue((m.*f)(arg(args[I], std::type_identity<A>{})...));
}
template <typename M, typename C, typename R, typename... A>
AnyValue call_forward(M& m, R (C::*f)(A...), std::vector<AnyValue>& args) {
  return call_forward<M, decltype(f), R, A...>(m, f, args, std::index_sequence_for<A...>{});
}
template <typename M, typename C, typename R, typename... A>
AnyValue call_forward(M& m, R (C::*f)(A...) const, std::vector<AnyValue>& args) {
  return call_forward<M, decltype(f), R, A...>(m, f, args, std::index_sequence_for<A...>{});
}

// The type-erased forward of module type M. A module whose forward is itself type-erased
// (Sequential) provides forward_any; one without a single, non-template forward cannot be
// called (Python's error for a module without forward).
template <typename M>
AnyValue forward_thunk(Module& module, std::vector<AnyValue>&& args) {
  M& m = static_cast<M&>(module);
  if constexpr (requires(M& mm, std::vector<AnyValue>&& a) { mm.forward_any(std::move(a)); }) {
    return m.forward_any(std::move(args));
  } else if constexpr (requires { &M::forward; }) {
    return call_forward(m, &M::forward, args);
  } else {
    throw Error(::nabla::detail::str("Module [", module.name(), "] is missing the required \"forward\" function"));
  }
}

}  // namespace detail

/// Declares the default arguments of a module's forward() (Note [Default arguments of
/// forward]) as {index, AnyValue(value)} pairs, in order:
///   Tensor forward(const Tensor& x, Tensor hx = {});
///   NABLA_FORWARD_HAS_DEFAULT_ARGS({1, nabla::nn::AnyValue(nabla::Tensor())})
#define NABLA_FORWARD_HAS_DEFAULT_ARGS(...)                                                    \
  friend struct ::nabla::nn::detail::ForwardDefaults;                                          \
  static std::vector<std::pair<unsigned, ::nabla::nn::AnyValue>> _forward_default_args() { \
    return {__VA_ARGS__};                                                                      \
  }

/// Any module with a forward(), its type erased; copies share the module (clone() copies it).
class AnyModule {
 public:
  /// An empty AnyModule.
  AnyModule() = default;
  template <typename ModuleType>
  explicit AnyModule(std::shared_ptr<ModuleType> module)
      : module_(std::move(module)), type_(&typeid(ModuleType)), forward_(&detail::forward_thunk<ModuleType>) {}
  /// Takes a module by value (moved into shared ownership).
  template <typename ModuleType, typename = std::enable_if_t<detail::is_module_v<ModuleType>>>
  explicit AnyModule(ModuleType&& module)
      : AnyModule(std::make_shared<std::decay_t<ModuleType>>(std::forward<ModuleType>(module))) {}
  template <typename ModuleType>
  explicit AnyModule(const ModuleHolder<ModuleType>& holder) : AnyModule(holder.ptr()) {}

  /// Calls forward with these arguments; the result type-erased.
  template <typename... Args>
  AnyValue any_forward(Args&&... args) {
    std::vector<AnyValue> values;
    values.reserve(sizeof...(Args));
    (values.emplace_back(std::forward<Args>(args)), ...);
    return forward_values(std::move(values));
  }
  /// Calls forward with already type-erased arguments.
  AnyValue forward_values(std::vector<AnyValue>&& args) {
    NABLA_CHECK(!is_empty(), "Cannot call forward() on an empty AnyModule");
    return forward_(*module_, std::move(args));
  }
  /// Calls forward and returns its result as ReturnType (Tensor unless given).
  template <typename ReturnType = Tensor, typename... Args>
  ReturnType forward(Args&&... args) {
    AnyValue out = any_forward(std::forward<Args>(args)...);
    if (ReturnType* r = out.try_get<ReturnType>()) return std::move(*r);
    throw Error(::nabla::detail::str("The type of the return value is ", detail::demangle(out.type_info()),
                                     ", but you asked for type ", detail::demangle(typeid(ReturnType))));
  }

  /// The module as its concrete type T (a module class); an error for another type.
  template <typename T, typename = std::enable_if_t<detail::is_module_v<T>>>
  T& get() {
    check_type(typeid(T));
    return static_cast<T&>(*module_);
  }
  template <typename T, typename = std::enable_if_t<detail::is_module_v<T>>>
  const T& get() const {
    check_type(typeid(T));
    return static_cast<const T&>(*module_);
  }
  /// The module as a holder: m.get<nn::Linear>().
  template <typename T, typename ContainedType = typename T::ContainedType>
  T get() const {
    return T(ptr<ContainedType>());
  }
  std::shared_ptr<Module> ptr() const {
    NABLA_CHECK(!is_empty(), "Cannot call ptr() on an empty AnyModule");
    return module_;
  }
  template <typename T, typename = std::enable_if_t<detail::is_module_v<T>>>
  std::shared_ptr<T> ptr() const {
    check_type(typeid(T));
    return std::static_pointer_cast<T>(module_);
  }
  /// The type of the module as constructed.
  const std::type_info& type_info() const {
    NABLA_CHECK(!is_empty(), "Cannot call type_info() on an empty AnyModule");
    return *type_;
  }
  /// A new AnyModule holding a deep copy of the module.
  AnyModule clone() const {
    AnyModule copy;
    copy.module_ = ptr()->clone();
    copy.type_ = type_;
    copy.forward_ = forward_;
    return copy;
  }
  bool is_empty() const noexcept { return module_ == nullptr; }

 private:
  void check_type(const std::type_info& wanted) const {
    NABLA_CHECK(!is_empty(), "Cannot call get() on an empty AnyModule");
    NABLA_CHECK(wanted == *type_, "Attempted to cast module of type ", detail::demangle(*type_), " to type ",
                detail::demangle(wanted));
  }

  std::shared_ptr<Module> module_;
  const std::type_info* type_ = nullptr;
  AnyValue (*forward_)(Module&, std::vector<AnyValue>&&) = nullptr;
};

/// A module with the name it is registered under: Sequential({{"fc", nn::Linear(4, 3)}, ...}).
class NamedAnyModule {
 public:
  template <typename ModuleType>
  NamedAnyModule(std::string name, std::shared_ptr<ModuleType> module)
      : NamedAnyModule(std::move(name), AnyModule(std::move(module))) {}
  template <typename ModuleType, typename = std::enable_if_t<detail::is_module_v<ModuleType>>>
  NamedAnyModule(std::string name, ModuleType&& module)
      : NamedAnyModule(std::move(name), AnyModule(std::forward<ModuleType>(module))) {}
  template <typename ModuleType>
  NamedAnyModule(std::string name, const ModuleHolder<ModuleType>& holder)
      : NamedAnyModule(std::move(name), holder.ptr()) {}
  NamedAnyModule(std::string name, AnyModule module) : name_(std::move(name)), module_(std::move(module)) {}

  const std::string& name() const noexcept { return name_; }
  AnyModule& module() noexcept { return module_; }
  const AnyModule& module() const noexcept { return module_; }

 private:
  std::string name_;
  AnyModule module_;
};

}  // namespace nabla::nn
