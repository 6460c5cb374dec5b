#include "nabla/nn/module.h"

#include <cxxabi.h>

#include <cstdlib>
#include <ostream>
#include <sstream>
#include <typeinfo>

#include "nabla/warning.h"

namespace nabla::nn {

namespace {

// "nabla::nn::LinearImpl" -> "Linear": the class name without namespaces and "Impl".
std::string python_class_name(const std::type_info& type) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string full = (status == 0 && demangled) ? demangled : type.name();
  std::free(demangled);
  // Cut the namespace prefix at the last "::" that is outside template arguments.
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i + 1 < full.size(); ++i) {
    if (full[i] == '<') ++depth;
    else if (full[i] == '>') --depth;
    else if (depth == 0 && full[i] == ':' && full[i + 1] == ':') start = i + 2;
  }
  std::string name = full.substr(start);
  constexpr std::string_view impl = "Impl";
  if (name.size() > impl.size() && name.compare(name.size() - impl.size(), impl.size(), impl) == 0)
    name.resize(name.size() - impl.size());
  return name;
}

// "torch.Size([3, 4])", as PyTorch prints shapes in state_dict errors.
std::string size_string(IntArrayRef sizes) {
  std::ostringstream os;
  os << "torch.Size([";
  for (size_t i = 0; i < sizes.size(); ++i) os << (i ? ", " : "") << sizes[i];
  os << "])";
  return os.str();
}

std::string join_quoted(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? ", \"" : "\"") + keys[i] + "\"";
  return out;
}

// Python's _addindent: every line after the first gets `spaces` more spaces.
std::string add_indent(const std::string& text, int spaces) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out.append(static_cast<size_t>(spaces), ' ');
  }
  return out;
}

}  // namespace

Module::Module(std::string name) : name_(std::move(name)) {}
Module::Module() = default;

const std::string& Module::name() const noexcept {
  // Computed on first use: in the constructor, typeid(*this) is still Module.
  if (!name_) name_ = python_class_name(typeid(*this));
  return *name_;
}

std::shared_ptr<Module> Module::clone() const {
  NABLA_CHECK(false, "clone() has not been implemented for ", name(),
              ". Subclass torch::nn::Cloneable<", name(),
              "> instead of torch::nn::Module to inherit the ability to clone.");
  return nullptr;
}

void Module::clone_(Module&) {
  NABLA_CHECK(false, "clone() has not been implemented for ", name(),
              ". Subclass torch::nn::Cloneable<", name(),
              "> instead of torch::nn::Module to inherit the ability to clone.");
}

void Module::apply(const ModuleApplyFunction& fn) {
  fn(*this);
  apply_to_submodules([&](const std::string&, const std::shared_ptr<Module>& m) { fn(*m); }, "");
}

void Module::apply(const ConstModuleApplyFunction& fn) const {
  fn(*this);
  apply_to_submodules([&](const std::string&, const std::shared_ptr<Module>& m) { fn(*m); }, "");
}

void Module::apply(const NamedModuleApplyFunction& fn, const std::string& name_prefix) {
  fn(name_prefix, *this);
  apply_to_submodules(
      [&](const std::string& n, const std::shared_ptr<Module>& m) { fn(n, *m); }, name_prefix);
}

void Module::apply(const ConstNamedModuleApplyFunction& fn, const std::string& name_prefix) const {
  fn(name_prefix, *this);
  apply_to_submodules(
      [&](const std::string& n, const std::shared_ptr<Module>& m) { fn(n, *m); }, name_prefix);
}

void Module::apply(const ModulePointerApplyFunction& fn) const {
  fn(std::const_pointer_cast<Module>(shared_from_this()));
  apply_to_submodules([&](const std::string&, const std::shared_ptr<Module>& m) { fn(m); }, "");
}

void Module::apply(const NamedModulePointerApplyFunction& fn,
                   const std::string& name_prefix) const {
  fn(name_prefix, std::const_pointer_cast<Module>(shared_from_this()));
  apply_to_submodules(fn, name_prefix);
}

void Module::apply_to_submodules(const NamedModulePointerApplyFunction& fn,
                                 const std::string& name_prefix) const {
  for (const auto& child : children_) {
    std::string qualified = name_prefix.empty() ? child.key() : name_prefix + "." + child.key();
    fn(qualified, child.value());
    child.value()->apply_to_submodules(fn, qualified);
  }
}

OrderedDict<std::string, Tensor> Module::named_parameters(bool recurse) const {
  OrderedDict<std::string, Tensor> result("Parameter");
  // PyTorch yields each tensor once even when it is registered under several names.
  std::set<const void*> seen;
  auto add = [&](const std::string& prefix, const Module& m) {
    for (const auto& p : m.parameters_) {
      if (!p.value().defined() || !seen.insert(p.value().unsafeGetTensorImpl()).second) continue;
      result.insert(prefix.empty() ? p.key() : prefix + "." + p.key(), p.value());
    }
  };
  if (!recurse) {
    add("", *this);
    return result;
  }
  apply([&](const std::string& prefix, const Module& m) { add(prefix, m); });
  return result;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  return named_parameters(recurse).values();
}

OrderedDict<std::string, Tensor> Module::named_buffers(bool recurse) const {
  OrderedDict<std::string, Tensor> result("Buffer");
  std::set<const void*> seen;
  auto add = [&](const std::string& prefix, const Module& m) {
    for (const auto& b : m.buffers_) {
      if (!b.value().defined() || !seen.insert(b.value().unsafeGetTensorImpl()).second) continue;
      result.insert(prefix.empty() ? b.key() : prefix + "." + b.key(), b.value());
    }
  };
  if (!recurse) {
    add("", *this);
    return result;
  }
  apply([&](const std::string& prefix, const Module& m) { add(prefix, m); });
  return result;
}

std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_modules(
    const std::string& name_prefix, bool include_self) const {
  OrderedDict<std::string, std::shared_ptr<Module>> result("Module");
  std::set<const Module*> seen;
  if (include_self) {
    seen.insert(this);
    result.insert(name_prefix, std::const_pointer_cast<Module>(shared_from_this()));
  }
  apply_to_submodules(
      [&](const std::string& n, const std::shared_ptr<Module>& m) {
        if (seen.insert(m.get()).second) result.insert(n, m);
      },
      name_prefix);
  return result;
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) const {
  std::vector<std::shared_ptr<Module>> result;
  std::set<const Module*> seen;
  if (include_self) {
    seen.insert(this);
    result.push_back(std::const_pointer_cast<Module>(shared_from_this()));
  }
  apply_to_submodules(
      [&](const std::string&, const std::shared_ptr<Module>& m) {
        if (seen.insert(m.get()).second) result.push_back(m);
      },
      "");
  return result;
}

std::vector<std::shared_ptr<Module>> Module::children() const { return children_.values(); }

OrderedDict<std::string, std::shared_ptr<Module>> Module::named_children() const {
  return children_;
}

void Module::train(bool on) {
  for (auto& child : children_) child.value()->train(on);
  is_training_ = on;
}

void Module::to(ScalarType dtype, bool non_blocking) {
  NoGradGuard no_grad;
  auto convert = [&](Tensor& t) {
    if (!t.defined() || !t.is_floating_point() || t.scalar_type() == dtype) return;
    t.set_data(t.to(dtype, non_blocking));
    if (t.grad().defined()) t.mutable_grad().set_data(t.grad().to(dtype, non_blocking));
  };
  for (auto& child : children_) child.value()->to(dtype, non_blocking);
  for (auto& p : parameters_) convert(p.value());
  for (auto& b : buffers_) convert(b.value());
}

void Module::to(Device device, bool) { check_device_available(device); }

void Module::to(Device device, ScalarType dtype, bool non_blocking) {
  check_device_available(device);
  to(dtype, non_blocking);
}

void Module::zero_grad(bool set_to_none) {
  for (auto& child : children_) child.value()->zero_grad(set_to_none);
  for (auto& p : parameters_) {
    Tensor& param = p.value();
    if (!param.defined() || !param.grad().defined()) continue;
    if (set_to_none) {
      param.mutable_grad() = Tensor();
    } else {
      Tensor& g = param.mutable_grad();
      if (g.grad_fn()) g.detach_();
      else g.requires_grad_(false);
      g.zero_();
    }
  }
}

void Module::pretty_print(std::ostream& stream) const {
  std::vector<std::string> lines;
  std::string extra = extra_repr();
  size_t extra_lines = 0;
  if (!extra.empty()) {
    std::istringstream in(extra);
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
      ++extra_lines;
    }
  }
  for (const auto& child : children_) {
    std::ostringstream os;
    child.value()->pretty_print(os);
    lines.push_back("(" + child.key() + "): " + add_indent(os.str(), 2));
  }
  stream << name() << "(";
  if (!lines.empty()) {
    if (extra_lines == 1 && children_.is_empty()) {
      stream << lines[0];
    } else {
      stream << "\n";
      for (const auto& line : lines) stream << "  " << line << "\n";
    }
  }
  stream << ")";
}

std::ostream& operator<<(std::ostream& stream, const Module& module) {
  module.pretty_print(stream);
  return stream;
}

OrderedDict<std::string, Tensor> Module::state_dict(const std::string& prefix,
                                                    bool keep_vars) const {
  OrderedDict<std::string, Tensor> result("Key");
  apply(
      [&](const std::string& module_prefix, const Module& m) {
        std::string base = module_prefix.empty() ? module_prefix : module_prefix + ".";
        for (const auto& p : m.parameters_)
          if (p.value().defined())
            result.insert(base + p.key(), keep_vars ? p.value() : p.value().detach());
        for (const auto& b : m.buffers_)
          if (b.value().defined() && !m.non_persistent_buffers_.count(b.key()))
            result.insert(base + b.key(), keep_vars ? b.value() : b.value().detach());
      },
      prefix.empty() ? std::string() : prefix.substr(0, prefix.size() - (prefix.back() == '.')));
  return result;
}

void Module::load_into(const std::string& prefix, const OrderedDict<std::string, Tensor>& state,
                       std::vector<std::string>& missing,
                       std::vector<std::string>& unexpected, std::vector<std::string>& errors) {
  auto load_one = [&](const std::string& local, Tensor& target) {
    std::string key = prefix + local;
    const Tensor* input = state.find(key);
    if (!input) {
      missing.push_back(key);
      return;
    }
    if (!input->sizes().equals(target.sizes())) {
      errors.push_back("size mismatch for " + key + ": copying a param with shape " +
                       size_string(input->sizes()) +
                       " from checkpoint, the shape in current model is " +
                       size_string(target.sizes()) + ".");
      return;
    }
    try {
      NoGradGuard no_grad;
      target.copy_(*input);
    } catch (const Error& e) {
      errors.push_back("While copying the parameter named \"" + key +
                       "\", whose dimensions in the model are " + size_string(target.sizes()) +
                       " and whose dimensions in the checkpoint are " +
                       size_string(input->sizes()) + ", an exception occurred : (" + e.what() +
                       ").");
    }
  };
  for (auto& p : parameters_)
    if (p.value().defined()) load_one(p.key(), p.value());
  for (auto& b : buffers_)
    if (b.value().defined() && !non_persistent_buffers_.count(b.key())) load_one(b.key(), b.value());
  // Unexpected keys: under this module's prefix, naming neither a local tensor nor a child.
  for (const auto& item : state) {
    const std::string& key = item.key();
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    std::string head = key.substr(prefix.size());
    head = head.substr(0, head.find('.'));
    bool local = (parameters_.contains(head) && parameters_[head].defined()) ||
                 (buffers_.contains(head) && buffers_[head].defined() &&
                  !non_persistent_buffers_.count(head));
    if (!local && !children_.contains(head)) unexpected.push_back(key);
  }
  for (auto& child : children_)
    child.value()->load_into(prefix + child.key() + ".", state, missing, unexpected, errors);
}

IncompatibleKeys Module::load_state_dict(const OrderedDict<std::string, Tensor>& state_dict,
                                         bool strict) {
  IncompatibleKeys keys;
  std::vector<std::string> errors;
  load_into("", state_dict, keys.missing_keys, keys.unexpected_keys, errors);
  if (strict) {
    if (!keys.unexpected_keys.empty())
      errors.insert(errors.begin(),
                    "Unexpected key(s) in state_dict: " + join_quoted(keys.unexpected_keys) + ". ");
    if (!keys.missing_keys.empty())
      errors.insert(errors.begin(),
                    "Missing key(s) in state_dict: " + join_quoted(keys.missing_keys) + ". ");
  }
  if (!errors.empty()) {
    std::string msg = "Error(s) in loading state_dict for " + name() + ":";
    for (const auto& e : errors) msg += "\n\t" + e;
    throw Error(msg);
  }
  return keys;
}

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  NABLA_CHECK(!name.empty(), "Parameter name must not be empty");
  NABLA_CHECK(name.find('.') == std::string::npos, "Parameter name must not contain a dot (got '",
              name, "')");
  if (!tensor.defined()) {
    if (requires_grad)
      warn("An undefined tensor cannot require grad. Ignoring the `requires_grad=true` function "
           "parameter.");
  } else {
    tensor.set_requires_grad(requires_grad);
  }
  return parameters_.insert(std::move(name), std::move(tensor));
}

Tensor& Module::register_buffer(std::string name, Tensor tensor, bool persistent) {
  NABLA_CHECK(!name.empty(), "Buffer name must not be empty");
  NABLA_CHECK(name.find('.') == std::string::npos, "Buffer name must not contain a dot (got '",
              name, "')");
  if (!persistent) non_persistent_buffers_.insert(name);
  return buffers_.insert(std::move(name), std::move(tensor));
}

void Module::check_submodule_name(const std::string& name) {
  NABLA_CHECK(!name.empty(), "Submodule name must not be empty");
  NABLA_CHECK(name.find('.') == std::string::npos, "Submodule name must not contain a dot (got '",
              name, "')");
}

void Module::unregister_module(const std::string& name) {
  NABLA_CHECK(children_.contains(name), "No Module with name `", name, "` is registered");
  children_.erase(name);
}

}  // namespace nabla::nn
