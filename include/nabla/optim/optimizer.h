#pragma once
/// Optimizer base class, parameter groups and the serialisable optimizer state, mirroring
/// libtorch's torch::optim (Optimizer, OptimizerParamGroup, OptimizerOptions) with Python's
/// state_dict structure.
///   nabla::optim::SGD opt(model->parameters(), nabla::optim::SGDOptions(0.1).momentum(0.9));
///   opt.zero_grad();  loss.backward();  opt.step();
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "nabla/ivalue.h"
#include "nabla/nn/options.h"
#include "nabla/tensor.h"

namespace nabla::optim {

/// One non-tensor value of an option map or a state entry, as the values of PyTorch's group
/// dicts: None, bool, int, float, str, or a list of floats (betas, base_lrs).
using OptionValue =
    std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<double>>;
/// Named values, sorted by name (PyTorch's dict of options).
using OptionMap = std::map<std::string, OptionValue>;

/// The value under `key` as a double (an int converts); throws naming the key if absent.
double option_double(const OptionMap& map, const std::string& key);
/// The value under `key` as an int64 (a whole double converts).
int64_t option_int(const OptionMap& map, const std::string& key);
bool option_bool(const OptionMap& map, const std::string& key);
const std::vector<double>& option_list(const OptionMap& map, const std::string& key);

/// Note [Optimizer state dict]
/// The state of an optimizer in PyTorch's `optimizer.state_dict()` structure:
///   state:        parameter index -> that parameter's state. Parameters are numbered across
///                 the groups in order (group 0's first parameter is 0). Tensor entries use
///                 PyTorch's names (`exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`,
///                 `momentum_buffer`, `square_avg`, `grad_avg`, `sum`, `d`, `prev_flat_grad`;
///                 Adam's, AdamW's and Adagrad's `step` is a 0-dim float32 tensor as in
///                 PyTorch); lists of tensors (LBFGS's `old_dirs`, `old_stps`) are in
///                 `tensor_lists`; numbers (RMSprop's `step`, LBFGS's `func_evals`, `n_iter`,
///                 `t`, `prev_loss`, `H_diag`, `ro`, `al`) are in `values`.
///   param_groups: one option map per group (`lr`, `momentum`, `betas`, `eps`,
///                 `weight_decay`, ..., plus what schedulers add: `initial_lr`, `max_lr`,
///                 `min_lr`, `max_momentum`, `base_momentum`) and the indices of its parameters.
/// A checkpoint writer stores every tensor of `flat_tensors()` (keys `state.0.exp_avg`,
/// `state.3.old_dirs.1`) in safetensors, and the rest (`values`, the group maps and `params`)
/// as JSON scalars, lists and strings. The dict holds copies: it does not change as training
/// continues. `optimizer.load_state_dict(dict)` then continues exactly as the saved optimizer
/// would have.
struct OptimizerStateDict {
  struct ParamState {
    std::map<std::string, Tensor> tensors;
    std::map<std::string, std::vector<Tensor>> tensor_lists;
    OptionMap values;
  };
  struct ParamGroup {
    OptionMap options;
    std::vector<int64_t> params;
  };
  std::map<int64_t, ParamState> state;
  std::vector<ParamGroup> param_groups;
  /// Where the dict was read from, e.g. "section 'optimizer' of checkpoint file 'run.safetensors'"
  /// (Checkpoint::optimizer_state sets it); load_state_dict's errors end with it in parentheses.
  std::string source;

  /// Every tensor under its dotted key: `"state.<index>.<name>"` and
  /// `"state.<index>.<list name>.<position>"`.
  std::map<std::string, Tensor> flat_tensors() const;

  /// As Python's optimizer.state_dict() is: {'state': {0: {...}, ...}, 'param_groups': [{...,
  /// 'params': [0, 1]}]} (betas as a tuple), for torch_save.
  ///   nabla::torch_save(opt.state_dict().to_ivalue(), "opt.pt");
  IValue to_ivalue() const;
  /// The reverse, for what Python's torch.save(optimizer.state_dict()) wrote; errors name what
  /// is malformed and end with `source`.
  static OptimizerStateDict from_ivalue(const IValue& value, std::string source = {});
};

/// The state an optimizer keeps for one parameter (libtorch's OptimizerParamState).
class OptimizerParamState {
 public:
  virtual ~OptimizerParamState() = default;
  virtual std::unique_ptr<OptimizerParamState> clone() const = 0;
  /// Writes this state in PyTorch's names (copies of the tensors).
  virtual void to_dict(OptimizerStateDict::ParamState& out) const = 0;
  /// Reads a state written by to_dict; floating tensors are cast to `param`'s dtype.
  virtual void from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) = 0;
};

template <typename Derived>
class OptimizerCloneableParamState : public OptimizerParamState {
 public:
  std::unique_ptr<OptimizerParamState> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

/// The options of one parameter group (libtorch's OptimizerOptions).
class OptimizerOptions {
 public:
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  virtual double get_lr() const = 0;
  virtual void set_lr(double lr) = 0;
  /// The options as PyTorch's group dict (without `params`).
  virtual OptionMap to_map() const = 0;
  /// Sets the options present in `map` (the keys of to_map()).
  virtual void from_map(const OptionMap& map) = 0;
  /// The momentum that schedulers cycle: "momentum" (SGD, RMSprop), "betas" (Adam, AdamW:
  /// beta1), or "" when the optimizer has none.
  virtual std::string momentum_key() const { return ""; }
  virtual double get_momentum() const;
  virtual void set_momentum(double momentum);
};

template <typename Derived>
class OptimizerCloneableOptions : public OptimizerOptions {
 public:
  std::unique_ptr<OptimizerOptions> clone() const override {
    return std::make_unique<Derived>(static_cast<const Derived&>(*this));
  }
};

/// Parameters that share options. Without options, the optimizer's defaults apply.
///   opt.add_param_group({{bias}, std::make_unique<SGDOptions>(SGDOptions(0.01))});
class OptimizerParamGroup {
 public:
  OptimizerParamGroup(const OptimizerParamGroup& other);
  OptimizerParamGroup& operator=(const OptimizerParamGroup& other);
  OptimizerParamGroup(OptimizerParamGroup&&) = default;
  OptimizerParamGroup& operator=(OptimizerParamGroup&&) = default;
  OptimizerParamGroup(std::vector<Tensor> params);  // NOLINT: implicit, as libtorch
  OptimizerParamGroup(std::vector<Tensor> params, std::unique_ptr<OptimizerOptions> options);

  bool has_options() const { return options_ != nullptr; }
  OptimizerOptions& options();
  const OptimizerOptions& options() const;
  void set_options(std::unique_ptr<OptimizerOptions> options) { options_ = std::move(options); }
  std::vector<Tensor>& params() { return params_; }
  const std::vector<Tensor>& params() const { return params_; }
  /// Entries that LR schedulers add to Python's group dict (`initial_lr`, `max_lr`, `min_lr`,
  /// `max_momentum`, `base_momentum`); saved with the group's options.
  std::map<std::string, double>& scheduler_values() { return scheduler_values_; }
  const std::map<std::string, double>& scheduler_values() const { return scheduler_values_; }

 protected:
  std::vector<Tensor> params_;
  std::unique_ptr<OptimizerOptions> options_;
  std::map<std::string, double> scheduler_values_;
};

/// Base of all optimizers. Subclasses implement step() and make_param_state().
class Optimizer {
 public:
  using LossClosure = std::function<Tensor()>;

  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  Optimizer(std::vector<OptimizerParamGroup> param_groups, std::unique_ptr<OptimizerOptions> defaults);
  Optimizer(std::vector<Tensor> parameters, std::unique_ptr<OptimizerOptions> defaults);
  virtual ~Optimizer() = default;

  /// One update of every parameter that has a gradient. With a closure, calls it first (with
  /// grad mode on) and returns its loss; without, returns an undefined tensor.
  virtual Tensor step(LossClosure closure = nullptr) = 0;

  /// Adds a group; its options default to the optimizer's defaults.
  void add_param_group(const OptimizerParamGroup& param_group);
  /// Adds parameters to the first group (libtorch's add_parameters).
  void add_parameters(const std::vector<Tensor>& parameters);
  /// Clears the gradients: sets them undefined (set_to_none), or detaches and zeros them.
  void zero_grad(bool set_to_none = true);

  /// The parameters of the first group.
  const std::vector<Tensor>& parameters() const noexcept { return param_groups_.at(0).params(); }
  std::vector<Tensor>& parameters() noexcept { return param_groups_.at(0).params(); }
  /// Number of parameters in all groups.
  size_t size() const noexcept;
  OptimizerOptions& defaults() noexcept { return *defaults_; }
  const OptimizerOptions& defaults() const noexcept { return *defaults_; }
  std::vector<OptimizerParamGroup>& param_groups() noexcept { return param_groups_; }
  const std::vector<OptimizerParamGroup>& param_groups() const noexcept { return param_groups_; }
  /// Per-parameter state, keyed by the parameter's TensorImpl.
  std::unordered_map<const TensorImpl*, std::unique_ptr<OptimizerParamState>>& state() noexcept {
    return state_;
  }
  const std::unordered_map<const TensorImpl*, std::unique_ptr<OptimizerParamState>>& state()
      const noexcept {
    return state_;
  }

  /// A copy of the state in PyTorch's structure (Note [Optimizer state dict]).
  OptimizerStateDict state_dict() const;
  /// Restores a state_dict() of an optimizer of the same kind over parameters of the same
  /// shapes, grouped the same way (Note [Loading an optimizer state]). Everything is checked
  /// before anything changes: a dict that does not fit raises and leaves the optimizer as it was.
  void load_state_dict(const OptimizerStateDict& state_dict);
  /// Restores Python's optimizer.state_dict() as torch_load returns it:
  ///   opt.load_state_dict(nabla::torch_load("checkpoint.pt").toGenericDict().at("optimizer"));
  void load_state_dict(const IValue& state_dict) { load_state_dict(OptimizerStateDict::from_ivalue(state_dict)); }

 protected:
  /// An empty state of this optimizer's kind (filled by from_dict when loading).
  virtual std::unique_ptr<OptimizerParamState> make_param_state() const = 0;
  /// Checks the options of a group being loaded as the constructor checks its defaults
  /// (PyTorch's "Invalid learning rate: -1.0").
  virtual void check_options(const OptimizerOptions& /*options*/) const {}
  /// Checks a state being loaded for `param` (tensor shapes and dtypes, entries that belong
  /// together) against what step() will do with it under the group's loaded `options`.
  virtual void check_param_state(const OptimizerParamState& /*state*/, const Tensor& /*param*/,
                                 const OptimizerOptions& /*options*/) const {}
  /// The state of `param`, created by make_param_state() if it has none.
  template <typename S>
  S& param_state(const Tensor& param) {
    auto& slot = state_[param.unsafeGetTensorImpl()];
    if (!slot) slot = make_param_state();
    return static_cast<S&>(*slot);
  }
  /// Whether `param` has a state yet.
  bool has_state(const Tensor& param) const { return state_.count(param.unsafeGetTensorImpl()) > 0; }

  std::vector<OptimizerParamGroup> param_groups_;
  std::unordered_map<const TensorImpl*, std::unique_ptr<OptimizerParamState>> state_;
  std::unique_ptr<OptimizerOptions> defaults_;
};

}  // namespace nabla::optim
