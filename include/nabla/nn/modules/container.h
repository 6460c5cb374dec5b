#pragma once
/// Containers of modules, as libtorch's (with Python's indexing and slicing): Sequential,
/// ModuleList, ModuleDict, and Functional (a function as a module).
///   nn::Sequential net(nn::Linear(784, 256), nn::Functional(nabla::relu), nn::Linear(256, 10));
///   auto features = net->slice(0, -1);   // Python's net[:-1]: same layers, names "0", "1"
///   std::cout << net;                    // Sequential(\n  (0): Linear(in_features=784, ...
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/nn/module.h"
#include "nabla/nn/modules/any.h"

namespace nabla::nn {

namespace detail {
/// The positions Python's seq[start:end:step] selects from n elements.
std::vector<int64_t> slice_positions(int64_t n, std::optional<int64_t> start, std::optional<int64_t> end,
                                     int64_t step);
/// index wrapped like Python's (negative counts from the end); PyTorch's error if out of range.
size_t wrap_index(int64_t index, size_t size);
}  // namespace detail

/// Layers called one after another: the output of each is the input of the next. The
/// submodules are named "0", "1", ... unless given names. Build it with braces,
/// `nn::Sequential{nn::Linear(4, 3), nn::ReLU()}`, for PyTorch's initial weights after
/// manual_seed: C++ constructs the elements of a braced list left to right, but leaves the
/// order of parenthesised arguments to the compiler (GCC goes right to left).
class SequentialImpl : public Cloneable<SequentialImpl> {
 public:
  using Iterator = std::vector<AnyModule>::iterator;
  using ConstIterator = std::vector<AnyModule>::const_iterator;

  SequentialImpl() = default;
  /// Sequential(nn::Linear(4, 3), nn::ReLU(), ...): modules, holders or shared_ptrs.
  template <typename... Modules>
    requires(sizeof...(Modules) > 0 &&
             !(sizeof...(Modules) == 1 && (std::is_same_v<std::decay_t<Modules>, SequentialImpl> && ...)))
  explicit SequentialImpl(Modules&&... modules) {
    modules_.reserve(sizeof...(Modules));
    (push_back(std::forward<Modules>(modules)), ...);
  }
  /// Named layers: Sequential({{"conv", nn::Conv2d(...)}, {"relu", nn::ReLU()}}).
  explicit SequentialImpl(std::initializer_list<NamedAnyModule> named_modules);
  explicit SequentialImpl(std::vector<NamedAnyModule> named_modules);
  explicit SequentialImpl(OrderedDict<std::string, AnyModule>&& ordered_dict);

  /// A deep copy: every layer cloned, names kept.
  std::shared_ptr<Module> clone() const override;
  void reset() override {}

  /// Runs the layers in order; the result as ReturnType (Tensor unless given).
  template <typename ReturnType = Tensor, typename... InputTypes>
  ReturnType forward(InputTypes&&... inputs) {
    std::vector<AnyValue> values;
    values.reserve(sizeof...(InputTypes));
    (values.emplace_back(std::forward<InputTypes>(inputs)), ...);
    AnyValue out = forward_any(std::move(values));
    if (ReturnType* r = out.try_get<ReturnType>()) return std::move(*r);
    throw Error(::nabla::detail::str("The type of the return value is ", detail::demangle(out.type_info()),
                                     ", but you asked for type ", detail::demangle(typeid(ReturnType))));
  }
  /// forward() with type-erased inputs and output (how a Sequential runs inside another).
  AnyValue forward_any(std::vector<AnyValue>&& inputs);

  /// Appends a module (named by its position unless a name is given).
  void push_back(AnyModule any_module) { push_back(std::to_string(modules_.size()), std::move(any_module)); }
  void push_back(std::string name, AnyModule any_module);
  template <typename ModuleType>
  void push_back(std::shared_ptr<ModuleType> module) {
    push_back(AnyModule(std::move(module)));
  }
  template <typename ModuleType>
  void push_back(std::string name, std::shared_ptr<ModuleType> module) {
    push_back(std::move(name), AnyModule(std::move(module)));
  }
  template <typename M, typename = std::enable_if_t<detail::is_module_v<M>>>
  void push_back(M&& module) {
    push_back(AnyModule(std::forward<M>(module)));
  }
  template <typename M, typename = std::enable_if_t<detail::is_module_v<M>>>
  void push_back(std::string name, M&& module) {
    push_back(std::move(name), AnyModule(std::forward<M>(module)));
  }
  template <typename M>
  void push_back(const ModuleHolder<M>& holder) {
    push_back(AnyModule(holder));
  }
  template <typename M>
  void push_back(std::string name, const ModuleHolder<M>& holder) {
    push_back(std::move(name), AnyModule(holder));
  }
  /// Appends every module of a container (a Sequential, a vector of holders, ...).
  template <typename Container>
  void extend(const Container& container) {
    for (const auto& module : container) push_back(module);
  }
  template <typename M>
  void extend(const ModuleHolder<M>& holder) {
    extend(*holder);
  }
  /// Inserts a module before position index (negative: from the end), renumbering the
  /// following layers as Python's Sequential.insert. The layers must be named by position.
  void insert(int64_t index, AnyModule any_module);
  template <typename M>
  void insert(int64_t index, const ModuleHolder<M>& holder) {
    insert(index, AnyModule(holder));
  }
  template <typename ModuleType>
  void insert(int64_t index, std::shared_ptr<ModuleType> module) {
    insert(index, AnyModule(std::move(module)));
  }

  /// Replaces the layer registered under name, also where forward() runs it (Python's
  /// seq[i] = module): model->classifier->replace_module("1", nn::Identity()).
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, std::shared_ptr<ModuleType> module) {
    replace_layer(name, AnyModule(module));
    return module;
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, const ModuleHolder<ModuleType>& holder) {
    return replace_module(name, holder.ptr());
  }

  /// Python's seq[start:end:step]: a new Sequential holding the same layer objects (not
  /// copies) under their original names, so its state_dict keys are the original ones.
  std::shared_ptr<SequentialImpl> slice(std::optional<int64_t> start, std::optional<int64_t> end = std::nullopt,
                                        int64_t step = 1) const;

  Iterator begin() { return modules_.begin(); }
  ConstIterator begin() const { return modules_.begin(); }
  Iterator end() { return modules_.end(); }
  ConstIterator end() const { return modules_.end(); }

  /// The layer at index (negative: from the end) as its concrete type: seq->at<nn::LinearImpl>(0).
  template <typename T>
  T& at(int64_t index) {
    return modules_[detail::wrap_index(index, size())].template get<T>();
  }
  template <typename T>
  const T& at(int64_t index) const {
    return modules_[detail::wrap_index(index, size())].template get<T>();
  }
  std::shared_ptr<Module> ptr(int64_t index) const { return modules_[detail::wrap_index(index, size())].ptr(); }
  template <typename T>
  std::shared_ptr<T> ptr(int64_t index) const {
    return modules_[detail::wrap_index(index, size())].template ptr<T>();
  }
  std::shared_ptr<Module> operator[](int64_t index) const { return ptr(index); }
  size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }

 private:
  void replace_layer(const std::string& name, AnyModule any_module);
  std::vector<AnyModule> modules_;
};

/// The holder of SequentialImpl.
class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  using Impl = SequentialImpl;
  Sequential() : ModuleHolder() {}
  Sequential(std::initializer_list<NamedAnyModule> named_modules)
      : ModuleHolder(std::make_shared<SequentialImpl>(named_modules)) {}
  /// A Sequential of one layer.
  template <typename M>
  explicit Sequential(const ModuleHolder<M>& module) : ModuleHolder(std::make_shared<SequentialImpl>(module)) {}
};

/// A list of modules, registered as "0", "1", ... (no forward: index it and call the layers).
class ModuleListImpl : public Cloneable<ModuleListImpl> {
 public:
  using Iterator = std::vector<std::shared_ptr<Module>>::iterator;
  using ConstIterator = std::vector<std::shared_ptr<Module>>::const_iterator;

  ModuleListImpl() = default;
  template <typename... Modules>
    requires(sizeof...(Modules) > 0 &&
             !(sizeof...(Modules) == 1 && (std::is_same_v<std::decay_t<Modules>, ModuleListImpl> && ...)))
  explicit ModuleListImpl(Modules&&... modules) {
    modules_.reserve(sizeof...(Modules));
    (push_back(std::forward<Modules>(modules)), ...);
  }

  std::shared_ptr<Module> clone() const override;
  void reset() override {}

  void push_back(std::shared_ptr<Module> module);
  template <typename M, typename = std::enable_if_t<detail::is_module_v<M>>>
  void push_back(M&& module) {
    push_back(std::make_shared<std::decay_t<M>>(std::forward<M>(module)));
  }
  template <typename M>
  void push_back(const ModuleHolder<M>& holder) {
    push_back(holder.ptr());
  }
  template <typename Container>
  void extend(const Container& container) {
    for (const auto& module : container) push_back(module);
  }
  template <typename M>
  void extend(const ModuleHolder<M>& holder) {
    extend(*holder);
  }
  /// Inserts before position index (0 <= index <= size()), renumbering the modules after it.
  void insert(size_t index, std::shared_ptr<Module> module);
  template <typename M>
  void insert(size_t index, const ModuleHolder<M>& holder) {
    insert(index, holder.ptr());
  }
  template <typename M, typename = std::enable_if_t<detail::is_module_v<M>>>
  void insert(size_t index, M&& module) {
    insert(index, std::make_shared<std::decay_t<M>>(std::forward<M>(module)));
  }
  /// Python's list[start:end:step]: a new ModuleList of the same modules, renumbered.
  std::shared_ptr<ModuleListImpl> slice(std::optional<int64_t> start, std::optional<int64_t> end = std::nullopt,
                                        int64_t step = 1) const;

  Iterator begin() { return modules_.begin(); }
  ConstIterator begin() const { return modules_.begin(); }
  Iterator end() { return modules_.end(); }
  ConstIterator end() const { return modules_.end(); }

  template <typename T>
  T& at(int64_t index) {
    return checked_as<T>(ptr(index));
  }
  template <typename T>
  const T& at(int64_t index) const {
    return checked_as<T>(ptr(index));
  }
  std::shared_ptr<Module> ptr(int64_t index) const { return modules_[detail::wrap_index(index, size())]; }
  /// The module at index as T, or nullptr if it is not a T.
  template <typename T>
  std::shared_ptr<T> ptr(int64_t index) const {
    return std::dynamic_pointer_cast<T>(ptr(index));
  }
  std::shared_ptr<Module> operator[](int64_t index) const { return ptr(index); }
  size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }

 private:
  template <typename T>
  static T& checked_as(const std::shared_ptr<Module>& m) {
    T* t = m->as<T>();
    const Module& held = *m;
    NABLA_CHECK(t, "Attempted to cast module of type ", detail::demangle(typeid(held)), " to type ",
                detail::demangle(typeid(T)));
    return *t;
  }
  std::vector<std::shared_ptr<Module>> modules_;
};

/// The holder of ModuleListImpl.
class ModuleList : public ModuleHolder<ModuleListImpl> {
 public:
  using ModuleHolder<ModuleListImpl>::ModuleHolder;
  using Impl = ModuleListImpl;
  ModuleList() : ModuleHolder() {}
  /// A ModuleList of one module.
  template <typename M>
  explicit ModuleList(const ModuleHolder<M>& module) : ModuleHolder(std::make_shared<ModuleListImpl>(module)) {}
};

/// Modules by name, in insertion order (Python's ModuleDict).
class ModuleDictImpl : public Cloneable<ModuleDictImpl> {
 public:
  using Iterator = OrderedDict<std::string, std::shared_ptr<Module>>::Iterator;
  using ConstIterator = OrderedDict<std::string, std::shared_ptr<Module>>::ConstIterator;

  ModuleDictImpl() = default;
  explicit ModuleDictImpl(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
    update(modules);
  }
  explicit ModuleDictImpl(const OrderedDict<std::string, std::shared_ptr<Module>>& modules) { update(modules); }

  std::shared_ptr<Module> clone() const override;
  void reset() override {}

  std::vector<std::pair<std::string, std::shared_ptr<Module>>> items() const { return modules_.pairs(); }
  std::vector<std::string> keys() const { return modules_.keys(); }
  std::vector<std::shared_ptr<Module>> values() const { return modules_.values(); }
  Iterator begin() { return modules_.begin(); }
  ConstIterator begin() const { return modules_.begin(); }
  Iterator end() { return modules_.end(); }
  ConstIterator end() const { return modules_.end(); }
  size_t size() const noexcept { return modules_.size(); }
  bool empty() const noexcept { return modules_.is_empty(); }
  bool contains(const std::string& key) const noexcept { return modules_.contains(key); }
  /// Removes every module (they are unregistered too).
  void clear();

  std::shared_ptr<Module> operator[](const std::string& key) const { return modules_[key]; }
  template <typename T>
  T& at(const std::string& key) {
    return checked_as<T>(modules_[key]);
  }
  template <typename T>
  const T& at(const std::string& key) const {
    return checked_as<T>(modules_[key]);
  }
  /// Removes key and returns its module.
  std::shared_ptr<Module> pop(const std::string& key);
  /// Inserts (or, for an existing key, replaces in place) every (key, module) pair.
  void update(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
    for (const auto& item : modules) insert(item.first, item.second);
  }
  /// From any container of items with key() and value() (an OrderedDict, a ModuleDict).
  template <typename Container>
  void update(const Container& container) {
    for (const auto& item : container) insert(item.key(), item.value());
  }
  /// Adds key (or replaces the module under an existing key, keeping its position).
  void insert(const std::string& key, std::shared_ptr<Module> module);
  template <typename M>
  void insert(const std::string& key, const ModuleHolder<M>& holder) {
    insert(key, std::shared_ptr<Module>(holder.ptr()));
  }

 private:
  template <typename T>
  static T& checked_as(const std::shared_ptr<Module>& m) {
    T* t = m->as<T>();
    const Module& held = *m;
    NABLA_CHECK(t, "Attempted to cast module of type ", detail::demangle(typeid(held)), " to type ",
                detail::demangle(typeid(T)));
    return *t;
  }
  OrderedDict<std::string, std::shared_ptr<Module>> modules_{"Module"};
};
NABLA_MODULE(ModuleDict);

/// A function as a module, so it can sit in a Sequential: Functional(nabla::relu), or with
/// bound trailing arguments: Functional(nabla::nn::functional::leaky_relu, options).
class FunctionalImpl : public Cloneable<FunctionalImpl> {
 public:
  using Function = std::function<Tensor(Tensor)>;

  explicit FunctionalImpl(Function function) : function_(std::move(function)) {}
  /// function(input, args...).
  template <typename SomeFunction, typename... Args, typename = std::enable_if_t<(sizeof...(Args) > 0)>>
  explicit FunctionalImpl(SomeFunction original_function, Args&&... args)
      : function_(std::bind(original_function, std::placeholders::_1, std::forward<Args>(args)...)) {}

  void reset() override {}
  Tensor forward(Tensor input) { return function_(std::move(input)); }
  Tensor operator()(Tensor input) { return forward(std::move(input)); }

 private:
  Function function_;
};
NABLA_MODULE(Functional);

}  // namespace nabla::nn
