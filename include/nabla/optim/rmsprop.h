#pragma once
/// RMSprop (torch.optim.RMSprop).
///   optim::RMSprop opt(params, optim::RMSpropOptions(0.01).momentum(0.9).centered(true));
#include "nabla/optim/optimizer.h"

namespace nabla::optim {

struct RMSpropOptions : public OptimizerCloneableOptions<RMSpropOptions> {
  RMSpropOptions(double lr = 1e-2);  // NOLINT: implicit, as libtorch
  NABLA_ARG(double, lr) = 1e-2;
  NABLA_ARG(double, alpha) = 0.99;
  NABLA_ARG(double, eps) = 1e-8;
  NABLA_ARG(double, weight_decay) = 0;
  NABLA_ARG(double, momentum) = 0;
  NABLA_ARG(bool, centered) = false;
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

/// `step`, `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg` (centered).
struct RMSpropParamState : public OptimizerCloneableParamState<RMSpropParamState> {
  NABLA_ARG(int64_t, step) = 0;
  NABLA_ARG(Tensor, square_avg);
  NABLA_ARG(Tensor, momentum_buffer);
  NABLA_ARG(Tensor, grad_avg);

 public:
  void to_dict(OptimizerStateDict::ParamState& out) const override;
  void from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) override;
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults = {});
  RMSprop(std::vector<Tensor> params, RMSpropOptions defaults = {});
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_param_state() const override;
  void check_options(const OptimizerOptions& options) const override;
  void check_param_state(const OptimizerParamState& state, const Tensor& param,
                         const OptimizerOptions& options) const override;
};

}  // namespace nabla::optim
