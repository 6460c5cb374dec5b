#pragma once
/// Adam and AdamW (torch.optim.Adam / AdamW): Adam adds weight decay to the gradient (L2),
/// AdamW decays the weights directly (decoupled).
///   optim::Adam opt(params, optim::AdamOptions(1e-3).betas({0.9, 0.99}).amsgrad(true));
#include <tuple>

#include "nabla/optim/optimizer.h"

namespace nabla::optim {

struct AdamOptions : public OptimizerCloneableOptions<AdamOptions> {
  AdamOptions(double lr = 1e-3);  // NOLINT: implicit, as libtorch
  using betas_t = std::tuple<double, double>;
  NABLA_ARG(double, lr) = 1e-3;
  NABLA_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  NABLA_ARG(double, eps) = 1e-8;
  NABLA_ARG(double, weight_decay) = 0;
  NABLA_ARG(bool, amsgrad) = false;
  NABLA_ARG(bool, maximize) = false;

 public:
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  OptionMap to_map() const override;
  void from_map(const OptionMap& map) override;
  std::string momentum_key() const override { return "betas"; }
  double get_momentum() const override { return std::get<0>(betas_); }
  void set_momentum(double m) override { std::get<0>(betas_) = m; }
};

/// AdamW's options: Adam's, with weight_decay 1e-2 by default.
struct AdamWOptions : public OptimizerCloneableOptions<AdamWOptions> {
  AdamWOptions(double lr = 1e-3);  // NOLINT: implicit, as libtorch
  using betas_t = std::tuple<double, double>;
  NABLA_ARG(double, lr) = 1e-3;
  NABLA_ARG(betas_t, betas) = std::make_tuple(0.9, 0.999);
  NABLA_ARG(double, eps) = 1e-8;
  NABLA_ARG(double, weight_decay) = 1e-2;
  NABLA_ARG(bool, amsgrad) = false;
  NABLA_ARG(bool, maximize) = false;

 public:
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  OptionMap to_map() const override;
  void from_map(const OptionMap& map) override;
  std::string momentum_key() const override { return "betas"; }
  double get_momentum() const override { return std::get<0>(betas_); }
  void set_momentum(double m) override { std::get<0>(betas_) = m; }
};

/// `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` (amsgrad only).
struct AdamParamState : public OptimizerCloneableParamState<AdamParamState> {
  NABLA_ARG(int64_t, step) = 0;
  NABLA_ARG(Tensor, exp_avg);
  NABLA_ARG(Tensor, exp_avg_sq);
  NABLA_ARG(Tensor, max_exp_avg_sq);

 public:
  void to_dict(OptimizerStateDict::ParamState& out) const override;
  void from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) override;
};
using AdamWParamState = AdamParamState;

class Adam : public Optimizer {
 public:
  Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults = {});
  Adam(std::vector<Tensor> params, AdamOptions defaults = {});
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_param_state() const override;
  void check_options(const OptimizerOptions& options) const override;
  void check_param_state(const OptimizerParamState& state, const Tensor& param,
                         const OptimizerOptions& options) const override;
};

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults = {});
  AdamW(std::vector<Tensor> params, AdamWOptions defaults = {});
  Tensor step(LossClosure closure = nullptr) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_param_state() const override;
  void check_options(const OptimizerOptions& options) const override;
  void check_param_state(const OptimizerParamState& state, const Tensor& param,
                         const OptimizerOptions& options) const override;
};

}  // namespace nabla::optim
