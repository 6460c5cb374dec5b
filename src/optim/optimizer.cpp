// Optimizer base: parameter groups, zero_grad, state_dict / load_state_dict
// (Note [Optimizer state dict] in include/nabla/optim/optimizer.h).
#include <cmath>
#include <unordered_set>

#include <nabla/autograd.h>
#include <nabla/optim/optimizer.h>

#include "optim/common.h"
#include "nn/repr.h"

namespace nabla::optim {

namespace {
const OptionValue& find_option(const OptionMap& map, const std::string& key) {
  auto it = map.find(key);
  NABLA_CHECK(it != map.end(), "option '", key, "' is missing");
  return it->second;
}
}  // namespace

double option_double(const OptionMap& map, const std::string& key) {
  const auto& v = find_option(map, key);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  NABLA_CHECK(false, "option '", key, "' is not a number");
}

int64_t option_int(const OptionMap& map, const std::string& key) {
  const auto& v = find_option(map, key);
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) {
    NABLA_CHECK(std::floor(*d) == *d, "option '", key, "' is not an integer");
    return static_cast<int64_t>(*d);
  }
  NABLA_CHECK(false, "option '", key, "' is not an integer");
}

bool option_bool(const OptionMap& map, const std::string& key) {
  const auto& v = find_option(map, key);
  auto* b = std::get_if<bool>(&v);
  NABLA_CHECK(b, "option '", key, "' is not a bool");
  return *b;
}

const std::vector<double>& option_list(const OptionMap& map, const std::string& key) {
  const auto& v = find_option(map, key);
  auto* l = std::get_if<std::vector<double>>(&v);
  NABLA_CHECK(l, "option '", key, "' is not a list of numbers");
  return *l;
}

std::map<std::string, Tensor> OptimizerStateDict::flat_tensors() const {
  std::map<std::string, Tensor> out;
  for (const auto& [index, s] : state) {
    const std::string prefix = "state." + std::to_string(index) + ".";
    for (const auto& [name, t] : s.tensors) out[prefix + name] = t;
    for (const auto& [name, list] : s.tensor_lists) {
      for (size_t i = 0; i < list.size(); ++i) out[prefix + name + "." + std::to_string(i)] = list[i];
    }
  }
  return out;
}

double OptimizerOptions::get_momentum() const {
  NABLA_CHECK(false, "optimizer must support momentum with `cycle_momentum` option enabled");
}

void OptimizerOptions::set_momentum(double) {
  NABLA_CHECK(false, "optimizer must support momentum with `cycle_momentum` option enabled");
}

// ---- OptimizerParamGroup ---------------------------------------------------------------------

OptimizerParamGroup::OptimizerParamGroup(const OptimizerParamGroup& other)
    : params_(other.params_),
      options_(other.has_options() ? other.options_->clone() : nullptr),
      scheduler_values_(other.scheduler_values_) {}

OptimizerParamGroup& OptimizerParamGroup::operator=(const OptimizerParamGroup& other) {
  if (this != &other) {
    params_ = other.params_;
    options_ = other.has_options() ? other.options_->clone() : nullptr;
    scheduler_values_ = other.scheduler_values_;
  }
  return *this;
}

OptimizerParamGroup::OptimizerParamGroup(std::vector<Tensor> params) : params_(std::move(params)) {}

OptimizerParamGroup::OptimizerParamGroup(std::vector<Tensor> params,
                                         std::unique_ptr<OptimizerOptions> options)
    : params_(std::move(params)), options_(std::move(options)) {}

OptimizerOptions& OptimizerParamGroup::options() {
  NABLA_CHECK(options_, "the parameter group has no options");
  return *options_;
}

const OptimizerOptions& OptimizerParamGroup::options() const {
  NABLA_CHECK(options_, "the parameter group has no options");
  return *options_;
}

// ---- Optimizer -------------------------------------------------------------------------------

Optimizer::Optimizer(std::vector<OptimizerParamGroup> param_groups,
                     std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
  NABLA_CHECK(!param_groups.empty(), "optimizer got an empty parameter list");
  for (const auto& g : param_groups) add_param_group(g);
}

Optimizer::Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults)
    : defaults_(std::move(defaults)) {
  NABLA_CHECK(!parameters.empty(), "optimizer got an empty parameter list");
  add_param_group(OptimizerParamGroup(std::move(parameters)));
}

void Optimizer::add_param_group(const OptimizerParamGroup& param_group) {
  std::unordered_set<const TensorImpl*> existing;
  for (const auto& g : param_groups_) {
    for (const auto& p : g.params()) existing.insert(p.unsafeGetTensorImpl());
  }
  for (const auto& p : param_group.params()) {
    NABLA_CHECK(p.defined(), "optimizer can only optimize Tensors, but one of the params is NoneType");
    NABLA_CHECK(p.is_leaf() || p.retains_grad(), "can't optimize a non-leaf Tensor");
    NABLA_CHECK(existing.count(p.unsafeGetTensorImpl()) == 0,
                "some parameters appear in more than one parameter group");
  }
  OptimizerParamGroup group(param_group.params(),
                            param_group.has_options() ? param_group.options().clone()
                                                      : defaults_->clone());
  group.scheduler_values() = param_group.scheduler_values();
  param_groups_.push_back(std::move(group));
}

void Optimizer::add_parameters(const std::vector<Tensor>& parameters) {
  NABLA_CHECK(!param_groups_.empty(), "optimizer has no parameter group");
  for (const auto& p : parameters) {
    NABLA_CHECK(p.is_leaf() || p.retains_grad(), "can't optimize a non-leaf Tensor");
  }
  auto& params = param_groups_[0].params();
  params.insert(params.end(), parameters.begin(), parameters.end());
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : param_groups_) {
    for (auto& p : group.params()) {
      Tensor& g = p.mutable_grad();
      if (!g.defined()) continue;
      if (set_to_none) {
        g = Tensor();
        continue;
      }
      if (g.grad_fn()) {
        g.detach_();
      } else {
        g.requires_grad_(false);
      }
      NoGradGuard no_grad;
      g.zero_();
    }
  }
}

size_t Optimizer::size() const noexcept {
  size_t n = 0;
  for (const auto& g : param_groups_) n += g.params().size();
  return n;
}

OptimizerStateDict Optimizer::state_dict() const {
  OptimizerStateDict out;
  std::unordered_map<const TensorImpl*, int64_t> index;
  int64_t next = 0;
  for (const auto& group : param_groups_) {
    OptimizerStateDict::ParamGroup packed;
    packed.options = group.options().to_map();
    for (const auto& [k, v] : group.scheduler_values()) packed.options[k] = v;
    for (const auto& p : group.params()) {
      auto [it, inserted] = index.emplace(p.unsafeGetTensorImpl(), next);
      if (inserted) ++next;
      packed.params.push_back(it->second);
    }
    out.param_groups.push_back(std::move(packed));
  }
  for (const auto& [impl, st] : state_) {
    auto it = index.find(impl);
    if (it == index.end() || !st) continue;
    st->to_dict(out.state[it->second]);
  }
  return out;
}

// Note [Loading an optimizer state]
// A state dict may come from a file, so nothing in it is trusted before it is checked against
// what it is applied to: the number of groups and their sizes (PyTorch's messages), the
// parameter indices, each group's options (the constructor's range checks, PyTorch's
// messages), and each parameter's state (shapes and dtypes of its tensors, the entries that
// belong together, step counts), so that step() never reads past a buffer. PyTorch pairs the
// saved indices with the optimizer's parameters in order; state_dict numbers the parameters
// 0, 1, 2, ... across the groups, so any other numbering (a permutation, a repeat) would hand
// a parameter another one's state and is refused. Errors end with the dict's `source`.
void Optimizer::load_state_dict(const OptimizerStateDict& state_dict) {
  try {
    const auto& saved = state_dict.param_groups;
    NABLA_CHECK(saved.size() == param_groups_.size(),
                "loaded state dict has a different number of parameter groups");
    for (size_t i = 0; i < saved.size(); ++i) {
      NABLA_CHECK(saved[i].params.size() == param_groups_[i].params().size(),
                  "loaded state dict contains a parameter group that doesn't match the size of "
                  "optimizer's group");
    }
    int64_t count = 0;
    for (size_t i = 0; i < saved.size(); ++i) {
      for (size_t j = 0; j < saved[i].params.size(); ++j, ++count) {
        NABLA_CHECK(saved[i].params[j] == count, "loaded state dict has the parameter index ", saved[i].params[j],
                    " at position ", j, " of group ", i, ", where the optimizer has its parameter ", count,
                    " (state_dict numbers the parameters 0, 1, 2, ... across the groups in order)");
      }
    }
    for (const auto& [index, st] : state_dict.state) {
      NABLA_CHECK(index >= 0 && index < count, "loaded state dict has a state for the parameter index ", index,
                  ", but the optimizer has ", count, " parameters");
    }
    // Build everything first, so that a malformed dict leaves the optimizer unchanged.
    std::vector<std::unique_ptr<OptimizerOptions>> options;
    std::vector<std::map<std::string, double>> extras;
    std::unordered_map<const TensorImpl*, std::unique_ptr<OptimizerParamState>> state;
    int64_t index = 0;
    for (size_t i = 0; i < saved.size(); ++i) {
      auto opts = param_groups_[i].options().clone();
      opts->from_map(saved[i].options);
      check_options(*opts);
      const OptionMap known = opts->to_map();
      std::map<std::string, double> extra;
      for (const auto& [k, v] : saved[i].options) {
        if (known.count(k)) continue;
        if (auto* d = std::get_if<double>(&v)) extra[k] = *d;
        if (auto* n = std::get_if<int64_t>(&v)) extra[k] = static_cast<double>(*n);
      }
      const auto& params = param_groups_[i].params();
      for (size_t j = 0; j < params.size(); ++j, ++index) {
        auto it = state_dict.state.find(index);
        if (it == state_dict.state.end()) continue;
        auto st = make_param_state();
        try {
          st->from_dict(it->second, params[j]);
          check_param_state(*st, params[j], *opts);
        } catch (const Error& e) {
          NABLA_CHECK(false, "loaded state dict has an invalid state for parameter ", index, ": ", e.what());
        }
        state[params[j].unsafeGetTensorImpl()] = std::move(st);
      }
      options.push_back(std::move(opts));
      extras.push_back(std::move(extra));
    }
    for (size_t i = 0; i < saved.size(); ++i) {
      param_groups_[i].set_options(std::move(options[i]));
      param_groups_[i].scheduler_values() = std::move(extras[i]);
    }
    state_ = std::move(state);
  } catch (const Error& e) {
    if (state_dict.source.empty()) throw;
    throw Error(::nabla::detail::str(e.what(), " (", state_dict.source, ")"));
  }
}


// ---- Python's structure as IValues (torch_save / torch_load) ---------------------------------

namespace {

IValue option_to_ivalue(const std::string& key, const OptionValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return IValue();
  if (auto* b = std::get_if<bool>(&v)) return *b;
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  std::vector<IValue> items;
  for (double x : std::get<std::vector<double>>(v)) items.emplace_back(x);
  // PyTorch keeps betas (Adam), etas and step_sizes (Rprop) as tuples, other lists as lists.
  if (key == "betas" || key == "etas" || key == "step_sizes") return ivalue::Tuple::create(std::move(items));
  return GenericList(std::move(items));
}

OptionValue option_from_ivalue(const std::string& key, const IValue& v) {
  if (v.isNone()) return std::monostate{};
  if (v.isBool()) return v.toBool();
  if (v.isInt()) return v.toInt();
  if (v.isDouble()) return v.toDouble();
  if (v.isString()) return v.toStringRef();
  if (v.isTensor() && v.toTensor().numel() == 1 && v.toTensor().is_floating_point())
    return v.toTensor().item<double>();  // PyTorch 2's tensor lr
  if (v.isList() || v.isTuple()) {
    const auto& items = v.isList() ? v.toListRef() : v.toTupleRef().elements();
    std::vector<double> out;
    for (const IValue& x : items) {
      NABLA_CHECK(x.isDouble() || x.isInt(), "the option '", key, "' must be a list of numbers, but holds ",
                  x.tagKind());
      out.push_back(x.isDouble() ? x.toDouble() : static_cast<double>(x.toInt()));
    }
    return out;
  }
  NABLA_CHECK(false, "the option or value '", key, "' must be None, a bool, a number, a str or a list of numbers, "
              "but is ", v.tagKind());
  return std::monostate{};
}

}  // namespace

IValue OptimizerStateDict::to_ivalue() const {
  GenericDict states;
  for (const auto& [index, st] : state) {
    GenericDict entry;
    for (const auto& [k, t] : st.tensors) entry.insert_or_assign(k, t);
    for (const auto& [k, list] : st.tensor_lists) entry.insert_or_assign(k, IValue(list));
    for (const auto& [k, v] : st.values) entry.insert_or_assign(k, option_to_ivalue(k, v));
    states.insert_or_assign(index, entry);
  }
  GenericList groups;
  for (const auto& g : param_groups) {
    GenericDict group;
    for (const auto& [k, v] : g.options) group.insert_or_assign(k, option_to_ivalue(k, v));
    GenericList params;
    for (int64_t p : g.params) params.push_back(p);
    group.insert_or_assign("params", params);
    groups.push_back(group);
  }
  GenericDict out;
  out.insert_or_assign("state", states);
  out.insert_or_assign("param_groups", groups);
  return out;
}

OptimizerStateDict OptimizerStateDict::from_ivalue(const IValue& value, std::string source) {
  OptimizerStateDict out;
  out.source = std::move(source);
  try {
    NABLA_CHECK(value.isGenericDict(), "an optimizer state_dict must be a dict with 'state' and 'param_groups', but "
                "got ", value.tagKind());
    const GenericDict d = value.toGenericDict();
    NABLA_CHECK(d.contains("state") && d.contains("param_groups"),
                "an optimizer state_dict must have the keys 'state' and 'param_groups'");
    NABLA_CHECK(d.at("state").isGenericDict(), "'state' must be a dict of parameter index to state");
    for (const DictEntry& e : d.at("state").toGenericDict()) {
      NABLA_CHECK(e.key().isInt(), "the keys of 'state' must be parameter indices (int), but got ",
                  e.key().tagKind());
      NABLA_CHECK(e.value().isGenericDict(), "the state of parameter ", e.key().toInt(), " must be a dict");
      ParamState& st = out.state[e.key().toInt()];
      for (const DictEntry& f : e.value().toGenericDict()) {
        NABLA_CHECK(f.key().isString(), "the state of parameter ", e.key().toInt(), " must have str keys");
        const std::string& k = f.key().toStringRef();
        const IValue& v = f.value();
        const bool tensor_list = v.isList() && !v.toListRef().empty() && v.toListRef()[0].isTensor();
        if (v.isTensor()) {
          st.tensors[k] = v.toTensor();
        } else if (tensor_list) {
          auto& list = st.tensor_lists[k];
          for (const IValue& t : v.toListRef()) {
            NABLA_CHECK(t.isTensor(), "'", k, "' of parameter ", e.key().toInt(), " must be a list of tensors");
            list.push_back(t.toTensor());
          }
        } else {
          st.values[k] = option_from_ivalue(k, v);
        }
      }
    }
    NABLA_CHECK(d.at("param_groups").isList(), "'param_groups' must be a list of dicts");
    for (const IValue& g : d.at("param_groups").toListRef()) {
      NABLA_CHECK(g.isGenericDict(), "'param_groups' must be a list of dicts, but holds ", g.tagKind());
      ParamGroup group;
      bool has_params = false;
      for (const DictEntry& e : g.toGenericDict()) {
        NABLA_CHECK(e.key().isString(), "a parameter group must have str keys");
        const std::string& k = e.key().toStringRef();
        if (k == "params") {
          NABLA_CHECK(e.value().isList(), "a group's 'params' must be a list of parameter indices");
          for (const IValue& p : e.value().toListRef()) {
            NABLA_CHECK(p.isInt(), "a group's 'params' must be a list of parameter indices, but holds ", p.tagKind());
            group.params.push_back(p.toInt());
          }
          has_params = true;
        } else {
          group.options[k] = option_from_ivalue(k, e.value());
        }
      }
      NABLA_CHECK(has_params, "a parameter group must have 'params'");
      out.param_groups.push_back(std::move(group));
    }
  } catch (const Error& e) {
    if (out.source.empty()) throw;
    throw Error(::nabla::detail::str(e.what(), " (", out.source, ")"));
  }
  return out;
}

// ---- helpers ---------------------------------------------------------------------------------

namespace detail {

std::string py_float(double v) { return nn::detail::python_float_repr(v); }

Tensor state_tensor_for(const Tensor& saved, const Tensor& param) {
  if (!saved.defined()) return saved;
  Tensor t = saved.detach().clone().contiguous();
  if (param.is_floating_point() && t.is_floating_point() && t.scalar_type() != param.scalar_type()) {
    t = t.to(param.scalar_type());
  }
  return t;
}

Tensor find_tensor(const OptimizerStateDict::ParamState& in, const std::string& key) {
  auto it = in.tensors.find(key);
  return it == in.tensors.end() ? Tensor() : it->second;
}

int64_t read_step(const OptimizerStateDict::ParamState& in) {
  double step = 0;
  if (auto it = in.tensors.find("step"); it != in.tensors.end()) {
    NABLA_CHECK(it->second.defined() && it->second.numel() == 1, "'step' must hold one number, but it has ",
                it->second.defined() ? it->second.numel() : 0, " elements");
    step = it->second.item<double>();
  } else if (in.values.count("step")) {
    step = option_double(in.values, "step");
  }
  // Whole numbers up to 2^53 are exact in the float32 or double that holds them.
  NABLA_CHECK(step >= 0 && step <= 9007199254740992.0 && std::floor(step) == step,
              "'step' must be a non-negative whole number, got ", py_float(step));
  return static_cast<int64_t>(step);
}

void check_state_tensor(const Tensor& t, const char* name, const Tensor& param) {
  check_state_tensor(t, name, param.sizes(), param.scalar_type(), "the parameter's shape ");
}

void check_state_tensor(const Tensor& t, const char* name, IntArrayRef shape, ScalarType dtype, const char* what) {
  if (!t.defined()) return;
  NABLA_CHECK(t.scalar_type() == dtype, "'", name, "' has dtype ", scalarTypeName(t.scalar_type()),
              ", but it must be floating point like the parameter (", scalarTypeName(dtype), ")");
  NABLA_CHECK(t.sizes() == shape, "'", name, "' has shape ", t.sizes(), ", but it must have ", what, shape);
}

Tensor dense_grad(const Tensor& param) {
  const Tensor& g = param.grad();
  NABLA_CHECK(g.sizes() == param.sizes(), "the gradient of a parameter has shape ", g.sizes(),
              " but the parameter has shape ", param.sizes());
  Tensor out = g.scalar_type() == param.scalar_type() ? g : g.to(param.scalar_type());
  return out.is_contiguous() ? out : out.contiguous();
}

}  // namespace detail
}  // namespace nabla::optim
