// Sequential, ModuleList, ModuleDict (the parts that are not templates) and AnyModule's
// type names.
#include "nabla/nn/modules/container.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>

namespace nabla::nn {

namespace detail {

std::string demangle(const std::type_info& type) {
  int status = 0;
  char* d = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = (status == 0 && d) ? d : type.name();
  std::free(d);
  return out;
}

std::vector<int64_t> slice_positions(int64_t n, std::optional<int64_t> start, std::optional<int64_t> end,
                                     int64_t step) {
  NABLA_CHECK(step != 0, "slice step cannot be zero");
  // Python's slice.indices(n): bounds clamped to [0, n] (to [-1, n - 1] for a negative step).
  auto bound = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t i = *v < 0 ? *v + n : *v;
    const int64_t lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
    return i < lo ? lo : (i > hi ? hi : i);
  };
  const int64_t b = bound(start, step > 0 ? 0 : n - 1);
  const int64_t e = bound(end, step > 0 ? n : -1);
  std::vector<int64_t> out;
  for (int64_t i = b; step > 0 ? i < e : i > e; i += step) out.push_back(i);
  return out;
}

size_t wrap_index(int64_t index, size_t size) {
  const auto n = static_cast<int64_t>(size);
  NABLA_CHECK(index >= -n && index < n, "index ", index, " is out of range");
  return static_cast<size_t>(index < 0 ? index + n : index);
}

}  // namespace detail

namespace {

// Sets every module of `copy` to the training mode of its counterpart in `original` (the two
// have the same structure). Parents come before their children, so each module's own call
// is the last one to touch it.
void copy_training_modes(const Module& original, Module& copy) {
  auto from = original.modules();
  auto to = copy.modules();
  for (size_t i = 0; i < from.size() && i < to.size(); ++i)
    if (to[i]->is_training() != from[i]->is_training()) to[i]->train(from[i]->is_training());
}

}  // namespace

// ---- Sequential -----------------------------------------------------------------------------

SequentialImpl::SequentialImpl(std::initializer_list<NamedAnyModule> named_modules) {
  modules_.reserve(named_modules.size());
  for (const auto& m : named_modules) push_back(m.name(), m.module());
}

SequentialImpl::SequentialImpl(std::vector<NamedAnyModule> named_modules) {
  modules_.reserve(named_modules.size());
  for (auto& m : named_modules) push_back(m.name(), std::move(m.module()));
}

SequentialImpl::SequentialImpl(OrderedDict<std::string, AnyModule>&& ordered_dict) {
  modules_.reserve(ordered_dict.size());
  for (auto& item : ordered_dict) push_back(item.key(), std::move(item.value()));
}

std::shared_ptr<Module> SequentialImpl::clone() const {
  auto copy = std::make_shared<SequentialImpl>();
  const auto names = named_children().keys();
  for (size_t i = 0; i < modules_.size(); ++i) copy->push_back(names[i], modules_[i].clone());
  copy_training_modes(*this, *copy);
  return copy;
}

AnyValue SequentialImpl::forward_any(std::vector<AnyValue>&& inputs) {
  NABLA_CHECK(!is_empty(), "Cannot call forward() on an empty Sequential");
  auto it = modules_.begin();
  AnyValue value = it->forward_values(std::move(inputs));
  for (++it; it != modules_.end(); ++it) {
    std::vector<AnyValue> next;
    next.push_back(std::move(value));
    value = it->forward_values(std::move(next));
  }
  return value;
}

void SequentialImpl::push_back(std::string name, AnyModule any_module) {
  register_module(std::move(name), any_module.ptr());
  modules_.push_back(std::move(any_module));
}

void SequentialImpl::insert(int64_t index, AnyModule any_module) {
  const auto n = static_cast<int64_t>(modules_.size());
  NABLA_CHECK(index >= -n && index <= n, "Index out of range: ", index);
  if (index < 0) index += n;
  const auto names = named_children().keys();
  for (size_t i = 0; i < names.size(); ++i)
    NABLA_CHECK(names[i] == std::to_string(i), "insert() needs the layers of the Sequential to be named by ",
                "their positions (\"0\", \"1\", ...), but layer ", i, " is named '", names[i], "'");
  modules_.insert(modules_.begin() + index, std::move(any_module));
  for (const auto& name : names) unregister_module(name);
  for (size_t i = 0; i < modules_.size(); ++i) register_module(std::to_string(i), modules_[i].ptr());
}

void SequentialImpl::replace_layer(const std::string& name, AnyModule any_module) {
  const auto names = named_children().keys();
  const auto it = std::find(names.begin(), names.end(), name);
  NABLA_CHECK(it != names.end(), "Submodule '", name, "' is not defined");
  Module::replace_module(name, any_module.ptr());
  modules_[static_cast<size_t>(it - names.begin())] = std::move(any_module);
}

std::shared_ptr<SequentialImpl> SequentialImpl::slice(std::optional<int64_t> start, std::optional<int64_t> end,
                                                      int64_t step) const {
  auto out = std::make_shared<SequentialImpl>();
  const auto names = named_children().keys();
  for (int64_t i : detail::slice_positions(static_cast<int64_t>(size()), start, end, step))
    out->push_back(names[static_cast<size_t>(i)], modules_[static_cast<size_t>(i)]);
  return out;
}

// ---- ModuleList -----------------------------------------------------------------------------

std::shared_ptr<Module> ModuleListImpl::clone() const {
  auto copy = std::make_shared<ModuleListImpl>();
  for (const auto& m : modules_) copy->push_back(m->clone());
  copy_training_modes(*this, *copy);
  return copy;
}

void ModuleListImpl::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

void ModuleListImpl::insert(size_t index, std::shared_ptr<Module> module) {
  NABLA_CHECK(index <= size(), "Index out of range");
  modules_.insert(modules_.begin() + static_cast<std::ptrdiff_t>(index), std::move(module));
  // The names "0" .. "n-2" keep their places; each now holds the module at its position.
  for (size_t i = index; i + 1 < modules_.size(); ++i) replace_module(std::to_string(i), modules_[i]);
  register_module(std::to_string(modules_.size() - 1), modules_.back());
}

std::shared_ptr<ModuleListImpl> ModuleListImpl::slice(std::optional<int64_t> start, std::optional<int64_t> end,
                                                      int64_t step) const {
  auto out = std::make_shared<ModuleListImpl>();
  for (int64_t i : detail::slice_positions(static_cast<int64_t>(size()), start, end, step))
    out->push_back(modules_[static_cast<size_t>(i)]);
  return out;
}

// ---- ModuleDict -----------------------------------------------------------------------------

std::shared_ptr<Module> ModuleDictImpl::clone() const {
  auto copy = std::make_shared<ModuleDictImpl>();
  for (const auto& item : modules_) copy->insert(item.key(), item.value()->clone());
  copy_training_modes(*this, *copy);
  return copy;
}

void ModuleDictImpl::clear() {
  for (const auto& key : modules_.keys()) unregister_module(key);
  modules_.clear();
}

std::shared_ptr<Module> ModuleDictImpl::pop(const std::string& key) {
  std::shared_ptr<Module> module = modules_[key];
  modules_.erase(key);
  unregister_module(key);
  return module;
}

void ModuleDictImpl::insert(const std::string& key, std::shared_ptr<Module> module) {
  if (modules_.contains(key)) {
    modules_[key] = module;
    replace_module(key, std::move(module));
  } else {
    register_module(key, module);
    modules_.insert(key, std::move(module));
  }
}

}  // namespace nabla::nn
