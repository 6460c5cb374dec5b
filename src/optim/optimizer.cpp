// Optimizer base: parameter groups, zero_grad, state_dict / load_state_dict
// (Note [Optimizer state dict] in include/nabla/optim/optimizer.h).
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

void Optimizer::load_state_dict(const OptimizerStateDict& state_dict) {
  const auto& saved = state_dict.param_groups;
  NABLA_CHECK(saved.size() == param_groups_.size(),
              "loaded state dict has a different number of parameter groups");
  for (size_t i = 0; i < saved.size(); ++i) {
    NABLA_CHECK(saved[i].params.size() == param_groups_[i].params().size(),
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group");
  }
  // Build everything first, so that a malformed dict leaves the optimizer unchanged.
  std::vector<std::unique_ptr<OptimizerOptions>> options;
  std::vector<std::map<std::string, double>> extras;
  std::unordered_map<const TensorImpl*, std::unique_ptr<OptimizerParamState>> state;
  for (size_t i = 0; i < saved.size(); ++i) {
    auto opts = param_groups_[i].options().clone();
    opts->from_map(saved[i].options);
    const OptionMap known = opts->to_map();
    std::map<std::string, double> extra;
    for (const auto& [k, v] : saved[i].options) {
      if (known.count(k)) continue;
      if (auto* d = std::get_if<double>(&v)) extra[k] = *d;
      if (auto* n = std::get_if<int64_t>(&v)) extra[k] = static_cast<double>(*n);
    }
    options.push_back(std::move(opts));
    extras.push_back(std::move(extra));
    const auto& params = param_groups_[i].params();
    for (size_t j = 0; j < params.size(); ++j) {
      auto it = state_dict.state.find(saved[i].params[j]);
      if (it == state_dict.state.end()) continue;
      auto st = make_param_state();
      st->from_dict(it->second, params[j]);
      state[params[j].unsafeGetTensorImpl()] = std::move(st);
    }
  }
  for (size_t i = 0; i < saved.size(); ++i) {
    param_groups_[i].set_options(std::move(options[i]));
    param_groups_[i].scheduler_values() = std::move(extras[i]);
  }
  state_ = std::move(state);
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
  auto it = in.tensors.find("step");
  if (it != in.tensors.end()) return static_cast<int64_t>(it->second.item<double>());
  if (in.values.count("step")) return option_int(in.values, "step");
  return 0;
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
