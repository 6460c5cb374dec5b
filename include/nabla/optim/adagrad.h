#pragma once
/// Adagrad (torch.optim.Adagrad). Every parameter's state exists from construction.
///   optim::Adagrad opt(params, optim::AdagradOptions(0.1).lr_decay(1e-3));
#include "nabla/optim/optimizer.h"

namespace nabla::optim {

struct AdagradOptions : public OptimizerCloneableOptions<AdagradOptions> {
  AdagradOptions(double lr = 1e-2);  // NOLINT: implicit, as libtorch
  NABLA_ARG(double, lr) = 1e-2;
  NABLA_ARG(double, lr_decay) = 0;
  NABLA_ARG(double, weight_decay) = 0;
  NABLA_ARG(double, initial_accumulator_value) = 0;
  NABLA_ARG(double, eps) = 1e-10;
  NABLA_ARG(bool, maximize) = false;

 public:
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  OptionMap to_map() const override;
  void from_map(const OptionMap& map) override;
};

/// `step`, `sum`.
struct AdagradParamState : public OptimizerCloneableParamState<AdagradParamState> {
  NABLA_ARG(int64_t, step) = 0;
  NABLA_ARG(Tensor, sum);

 public:
  void to_dict(OptimizerStateDict::ParamState& out) const override;
  void from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) override;
};

class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults = {});
  Adagrad(std::vector<Tensor> params, AdagradOptions defaults = {});
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_param_state() const override;
  void check_options(const OptimizerOptions& options) const override;
  void check_param_state(const OptimizerParamState& state, const Tensor& param,
                         const OptimizerOptions& options) const override;

 private:
  void init_state(const OptimizerParamGroup& group);
};

}  // namespace nabla::optim
