#pragma once
/// Stochastic gradient descent, optionally with momentum (torch.optim.SGD).
///   optim::SGD opt(params, optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
#include "nabla/optim/optimizer.h"

namespace nabla::optim {

struct SGDOptions : public OptimizerCloneableOptions<SGDOptions> {
  SGDOptions(double lr);  // NOLINT: implicit, as libtorch
  NABLA_ARG(double, lr);
  NABLA_ARG(double, momentum) = 0;
  NABLA_ARG(double, dampening) = 0;
  NABLA_ARG(double, weight_decay) = 0;
  NABLA_ARG(bool, nesterov) = false;
  NABLA_ARG(bool, maximize) = false;

 public:
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  OptionMap to_map() const override;
  void from_map(const OptionMap& map) override;
  std::string momentum_key() const override { return "momentum"; }
  double get_momentum() const override { return momentum_; }
  void set_momentum(double m) override { momentum_ = m; }
};

/// `momentum_buffer` (undefined until the first step with momentum).
struct SGDParamState : public OptimizerCloneableParamState<SGDParamState> {
  NABLA_ARG(Tensor, momentum_buffer);

 public:
  void to_dict(OptimizerStateDict::ParamState& out) const override;
  void from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) override;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults);
  SGD(std::vector<Tensor> params, SGDOptions defaults);
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_param_state() const override;
  void check_options(const OptimizerOptions& options) const override;
  void check_param_state(const OptimizerParamState& state, const Tensor& param,
                         const OptimizerOptions& options) const override;
};

}  // namespace nabla::optim
