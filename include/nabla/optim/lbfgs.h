#pragma once
/// L-BFGS (torch.optim.LBFGS): one parameter group; step needs a closure that recomputes the
/// loss and its gradients.
///   optim::LBFGS opt(params, optim::LBFGSOptions(1).line_search_fn("strong_wolfe"));
///   opt.step([&] { opt.zero_grad(); auto loss = f(x); loss.backward(); return loss; });
#include <deque>
#include <optional>

#include "nabla/optim/optimizer.h"

namespace nabla::optim {

struct LBFGSOptions : public OptimizerCloneableOptions<LBFGSOptions> {
  LBFGSOptions(double lr = 1);  // NOLINT: implicit, as libtorch
  NABLA_ARG(double, lr) = 1;
  NABLA_ARG(int64_t, max_iter) = 20;
  /// Defaults to max_iter * 5 / 4.
  NABLA_ARG(std::optional<int64_t>, max_eval) = std::nullopt;
  NABLA_ARG(double, tolerance_grad) = 1e-7;
  NABLA_ARG(double, tolerance_change) = 1e-9;
  NABLA_ARG(int64_t, history_size) = 100;
  /// std::nullopt (fixed step lr) or "strong_wolfe".
  NABLA_ARG(std::optional<std::string>, line_search_fn) = std::nullopt;

 public:
  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  OptionMap to_map() const override;
  void from_map(const OptionMap& map) override;
};

/// The state of the first parameter, as in PyTorch: `func_evals`, `n_iter`, `d`, `t`,
/// `old_dirs`, `old_stps`, `ro`, `H_diag`, `prev_flat_grad`, `prev_loss`, `al`.
struct LBFGSParamState : public OptimizerCloneableParamState<LBFGSParamState> {
  NABLA_ARG(int64_t, func_evals) = 0;
  NABLA_ARG(int64_t, n_iter) = 0;
  NABLA_ARG(double, t) = 0;
  NABLA_ARG(double, prev_loss) = 0;
  NABLA_ARG(Tensor, d);
  NABLA_ARG(double, H_diag) = 1;
  NABLA_ARG(Tensor, prev_flat_grad);
  NABLA_ARG(std::deque<Tensor>, old_dirs);
  NABLA_ARG(std::deque<Tensor>, old_stps);
  NABLA_ARG(std::deque<double>, ro);
  NABLA_ARG(std::vector<double>, al);

 public:
  void to_dict(OptimizerStateDict::ParamState& out) const override;
  void from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) override;
};

class LBFGS : public Optimizer {
 public:
  LBFGS(std::vector<OptimizerParamGroup> param_groups, LBFGSOptions defaults = {});
  LBFGS(std::vector<Tensor> params, LBFGSOptions defaults = {});
  /// Runs up to max_iter iterations; returns the loss of the first closure call.
  Tensor step(LossClosure closure) override;

 protected:
  std::unique_ptr<OptimizerParamState> make_param_state() const override;
  void check_options(const OptimizerOptions& options) const override;
  void check_param_state(const OptimizerParamState& state, const Tensor& param,
                         const OptimizerOptions& options) const override;

 private:
  int64_t numel() const;
  Tensor gather_flat_grad() const;
  void add_grad(double step_size, const Tensor& update);
  std::vector<Tensor> clone_params() const;
  void set_params(const std::vector<Tensor>& values);
  std::pair<double, Tensor> directional_evaluate(const LossClosure& closure,
                                                 const std::vector<Tensor>& x, double t,
                                                 const Tensor& d);
};

}  // namespace nabla::optim
