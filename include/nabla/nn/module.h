#pragma once
/// nn::Module, nn::Cloneable and the module holders, as libtorch's torch::nn::Module.
///
///   struct NetImpl : nabla::nn::Module {
///     NetImpl() : fc1(register_module("fc1", nn::Linear(784, 256))),
///                 fc2(register_module("fc2", nn::Linear(256, 10))) {}
///     Tensor forward(Tensor x) { return fc2(nabla::relu(fc1(x))); }
///     nn::Linear fc1, fc2;
///   };
///   NABLA_MODULE(Net);
///   Net net;
///   std::cout << net;                    // Net(\n  (fc1): Linear(in_features=784, ...)\n ...)
///   auto sd = net->state_dict();         // keys "fc1.weight", "fc1.bias", ...
///
/// Names, registration order and printing follow PyTorch: named_parameters() yields
/// dotted names in registration order, depth first; printing gives Python's repr.
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nabla/autograd/grad_mode.h"
#include "nabla/generator.h"
#include "nabla/ordered_dict.h"
#include "nabla/tensor.h"

namespace nabla::nn {

template <typename Contained>
class ModuleHolder;

namespace detail {
struct ModuleHolderIndicator {};
template <typename T>
inline constexpr bool is_module_holder_v =
    std::is_base_of_v<ModuleHolderIndicator, std::decay_t<T>>;
/// Whether T is a holder of Contained (so that a holder's constructor does not swallow copies).
template <typename T, typename Contained, typename = void>
struct is_module_holder_of : std::false_type {};
template <typename T, typename Contained>
struct is_module_holder_of<T, Contained, std::void_t<typename std::decay_t<T>::ContainedType>>
    : std::bool_constant<is_module_holder_v<T> &&
                         std::is_same_v<typename std::decay_t<T>::ContainedType, Contained>> {};
}  // namespace detail

/// What load_state_dict(strict = false) reports, as PyTorch's _IncompatibleKeys.
struct IncompatibleKeys {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

/// The base class of every layer and model.
class Module : public std::enable_shared_from_this<Module> {
 public:
  using ModuleApplyFunction = std::function<void(Module&)>;
  using ConstModuleApplyFunction = std::function<void(const Module&)>;
  using NamedModuleApplyFunction = std::function<void(const std::string&, Module&)>;
  using ConstNamedModuleApplyFunction = std::function<void(const std::string&, const Module&)>;
  using ModulePointerApplyFunction = std::function<void(const std::shared_ptr<Module>&)>;
  using NamedModulePointerApplyFunction =
      std::function<void(const std::string&, const std::shared_ptr<Module>&)>;

  /// A module whose printed name is `name` (otherwise the class name without "Impl").
  explicit Module(std::string name);
  Module();
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;
  virtual ~Module() = default;

  /// The class name as Python prints it: `LinearImpl` gives "Linear".
  const std::string& name() const noexcept;

  /// A deep copy (parameters and buffers copied). Only modules deriving from Cloneable can
  /// be cloned; others throw.
  virtual std::shared_ptr<Module> clone() const;

  /// Calls fn on this module and every descendant, depth first (parents first).
  void apply(const ModuleApplyFunction& fn);
  void apply(const ConstModuleApplyFunction& fn) const;
  void apply(const NamedModuleApplyFunction& fn, const std::string& name_prefix = std::string());
  void apply(const ConstNamedModuleApplyFunction& fn,
             const std::string& name_prefix = std::string()) const;
  void apply(const ModulePointerApplyFunction& fn) const;
  void apply(const NamedModulePointerApplyFunction& fn,
             const std::string& name_prefix = std::string()) const;

  /// Parameters (undefined ones skipped), recursively in registration order.
  std::vector<Tensor> parameters(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<std::string, Tensor> named_buffers(bool recurse = true) const;
  /// This module (unless include_self is false) and all descendants.
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true) const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_modules(
      const std::string& name_prefix = std::string(), bool include_self = true) const;
  /// The direct submodules.
  std::vector<std::shared_ptr<Module>> children() const;
  OrderedDict<std::string, std::shared_ptr<Module>> named_children() const;

  /// Sets training mode on this module and every descendant.
  virtual void train(bool on = true);
  void eval() { train(false); }
  virtual bool is_training() const noexcept { return is_training_; }

  /// Converts floating-point parameters and buffers (and their gradients) to dtype, in place:
  /// the parameter tensors keep their identity.
  virtual void to(ScalarType dtype, bool non_blocking = false);
  /// Moves parameters and buffers to device (libtorch's model->to(device)): on the CPU they
  /// stay as they are; another device is an Error, as nabla has kernels for the CPU only.
  virtual void to(Device device, bool non_blocking = false);
  virtual void to(Device device, ScalarType dtype, bool non_blocking = false);

  /// Resets the gradients of all parameters: to undefined (set_to_none, PyTorch 2's default)
  /// or to zeros.
  virtual void zero_grad(bool set_to_none = true);

  /// The module as ModuleType (an Impl class or a holder's contained type), or nullptr.
  template <typename ModuleType>
  auto* as() noexcept {
    if constexpr (detail::is_module_holder_v<ModuleType>)
      return dynamic_cast<typename ModuleType::ContainedType*>(this);
    else
      return dynamic_cast<ModuleType*>(this);
  }
  template <typename ModuleType>
  const auto* as() const noexcept {
    if constexpr (detail::is_module_holder_v<ModuleType>)
      return dynamic_cast<const typename ModuleType::ContainedType*>(this);
    else
      return dynamic_cast<const ModuleType*>(this);
  }

  /// Writes Python's repr of the module: `Name(extra_repr)` or, with children,
  /// `Name(\n  (child): ...\n)`.
  virtual void pretty_print(std::ostream& stream) const;
  /// The module's own settings as Python's extra_repr() prints them ("" by default).
  virtual std::string extra_repr() const { return {}; }

  /// Parameters and persistent buffers under PyTorch's dotted keys, detached (or with
  /// their autograd identity when keep_vars), in PyTorch's order.
  OrderedDict<std::string, Tensor> state_dict(const std::string& prefix = std::string(),
                                              bool keep_vars = false) const;
  /// Copies values from state_dict into the parameters and buffers, as PyTorch's
  /// load_state_dict: a shape mismatch is always an error; with strict, missing and
  /// unexpected keys are errors too. Returns the missing and unexpected keys.
  IncompatibleKeys load_state_dict(const OrderedDict<std::string, Tensor>& state_dict,
                                   bool strict = true);

  /// Registers a parameter (requires_grad set as asked; an undefined tensor is allowed and
  /// skipped by parameters()). Returns a reference to the stored tensor.
  Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  /// Registers a buffer; non-persistent buffers are left out of state_dict().
  Tensor& register_buffer(std::string name, Tensor tensor, bool persistent = true);

  template <typename ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name,
                                              std::shared_ptr<ModuleType> module) {
    check_submodule_name(name);
    children_.insert(std::move(name), module);
    return module;
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> register_module(std::string name,
                                              ModuleHolder<ModuleType> module_holder) {
    return register_module(std::move(name), module_holder.ptr());
  }
  /// Replaces a registered submodule (the member holding the old one is not updated).
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name,
                                             std::shared_ptr<ModuleType> module) {
    children_[name] = module;
    return module;
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name,
                                             ModuleHolder<ModuleType> module_holder) {
    return replace_module(name, module_holder.ptr());
  }
  void unregister_module(const std::string& name);

 protected:
  /// Copies other into this module (same concrete type); used by Cloneable::clone.
  virtual void clone_(Module& other);

 private:
  template <typename Derived>
  friend class Cloneable;
  static void check_submodule_name(const std::string& name);
  void apply_to_submodules(const NamedModulePointerApplyFunction& fn,
                           const std::string& name_prefix) const;
  void load_into(const std::string& prefix, const OrderedDict<std::string, Tensor>& state,
                 std::vector<std::string>& missing,
                 std::vector<std::string>& unexpected, std::vector<std::string>& errors);

  OrderedDict<std::string, Tensor> parameters_{"Parameter"};
  OrderedDict<std::string, Tensor> buffers_{"Buffer"};
  OrderedDict<std::string, std::shared_ptr<Module>> children_{"Submodule"};
  std::set<std::string> non_persistent_buffers_;
  mutable std::optional<std::string> name_;
  bool is_training_ = true;
};

/// A module that can be deep-copied: derive as `struct XImpl : Cloneable<XImpl>` and create
/// the parameters, buffers and submodules in reset(), which the constructor calls.
template <typename Derived>
class Cloneable : public Module {
 public:
  using Module::Module;

  /// (Re)creates and initialises every parameter, buffer and submodule.
  virtual void reset() = 0;

  std::shared_ptr<Module> clone() const override {
    NoGradGuard no_grad;
    auto copy = std::make_shared<Derived>(static_cast<const Derived&>(*this));
    copy->parameters_.clear();
    copy->buffers_.clear();
    copy->children_.clear();
    copy->non_persistent_buffers_.clear();
    {
      // reset() initialises fresh parameters; a copy must not consume the random stream.
      Generator& gen = default_generator();
      auto state = gen.get_state();
      copy->reset();
      gen.set_state(state);
    }
    NABLA_CHECK(copy->parameters_.size() == parameters_.size(),
                "The cloned module does not have the same number of parameters as the original "
                "module. Did you forget to register a parameter in reset()?");
    NABLA_CHECK(copy->buffers_.size() == buffers_.size(),
                "The cloned module does not have the same number of buffers as the original "
                "module. Did you forget to register a buffer in reset()?");
    NABLA_CHECK(copy->children_.size() == children_.size(),
                "The cloned module does not have the same number of child modules as the "
                "original module. Did you forget to register a submodule in reset()?");
    for (const auto& p : parameters_) {
      Tensor& dst = copy->parameters_[p.key()];
      if (p.value().defined() && dst.defined()) {
        dst.set_data(p.value().detach().clone());
        dst.set_requires_grad(p.value().requires_grad());
      }
    }
    for (const auto& b : buffers_) {
      Tensor& dst = copy->buffers_[b.key()];
      if (b.value().defined() && dst.defined()) dst.set_data(b.value().detach().clone());
    }
    for (const auto& c : children_) copy->children_[c.key()]->clone_(*c.value());
    copy->is_training_ = is_training_;
    return copy;
  }

 protected:
  void clone_(Module& other) override {
    auto cloned = std::dynamic_pointer_cast<Derived>(other.clone());
    NABLA_CHECK(cloned,
                "Attempted to clone submodule, but it is of a different type than the submodule "
                "it was to be cloned into");
    static_cast<Derived&>(*this) = std::move(*cloned);
  }
};

/// Shared ownership of a module implementation, used with `->` (libtorch's pimpl holder).
/// `X x{nullptr}` is empty; calling `x(args...)` calls `x->forward(args...)`.
template <typename Contained>
class ModuleHolder : detail::ModuleHolderIndicator {
 public:
  using ContainedType = Contained;

  /// Default-constructs the module; modules without a default constructor must be given
  /// arguments or nullptr.
  ModuleHolder() : impl_(default_construct()) {}
  ModuleHolder(std::nullptr_t) : impl_(nullptr) {}  // NOLINT: implicit, as libtorch
  template <typename Head, typename... Tail,
            typename = std::enable_if_t<!(detail::is_module_holder_of<Head, Contained>::value &&
                                          sizeof...(Tail) == 0) &&
                                        !std::is_same_v<std::decay_t<Head>, std::nullptr_t>>>
  explicit ModuleHolder(Head&& head, Tail&&... tail)
      : impl_(std::make_shared<Contained>(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}
  ModuleHolder(std::shared_ptr<Contained> module) : impl_(std::move(module)) {}  // NOLINT

  explicit operator bool() const noexcept { return !is_empty(); }
  Contained* operator->() { return get(); }
  const Contained* operator->() const { return get(); }
  Contained& operator*() { return *get(); }
  const Contained& operator*() const { return *get(); }
  const std::shared_ptr<Contained>& ptr() const {
    check_nonempty();
    return impl_;
  }
  Contained* get() {
    check_nonempty();
    return impl_.get();
  }
  const Contained* get() const {
    check_nonempty();
    return impl_.get();
  }
  /// Calls the module's forward.
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) {
    return get()->forward(std::forward<Args>(args)...);
  }
  template <typename Arg>
  decltype(auto) operator[](Arg&& arg) {
    return (*get())[std::forward<Arg>(arg)];
  }
  bool is_empty() const noexcept { return impl_ == nullptr; }

 protected:
  std::shared_ptr<Contained> impl_;

 private:
  void check_nonempty() const {
    NABLA_CHECK(impl_ != nullptr, "Accessing empty ModuleHolder");
  }
  static std::shared_ptr<Contained> default_construct() {
    static_assert(std::is_default_constructible_v<Contained>,
                  "You are trying to default construct a module which has no default "
                  "constructor. Use = nullptr to give it the empty state (e.g. `Linear "
                  "linear = nullptr;` instead of `Linear linear;`).");
    return std::make_shared<Contained>();
  }
};

/// Writes Python's repr of the module.
std::ostream& operator<<(std::ostream& stream, const Module& module);
template <typename Contained>
std::ostream& operator<<(std::ostream& stream, const ModuleHolder<Contained>& holder) {
  return stream << *holder;
}

}  // namespace nabla::nn

/// NABLA_MODULE_IMPL(Name, Impl) defines the holder class Name for the module class Impl.
#define NABLA_MODULE_IMPL(Name, ImplType)                         \
  class Name : public ::nabla::nn::ModuleHolder<ImplType> {       \
   public:                                                        \
    using ::nabla::nn::ModuleHolder<ImplType>::ModuleHolder;      \
    using Impl = ImplType;                                        \
  }
/// NABLA_MODULE(Name) defines the holder Name for NameImpl (libtorch's TORCH_MODULE).
#define NABLA_MODULE(Name) NABLA_MODULE_IMPL(Name, Name##Impl)
