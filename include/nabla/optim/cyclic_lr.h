#pragma once
/// Schedulers with restarts and cycles: CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
/// (Python's torch.optim.lr_scheduler). CyclicLR and OneCycleLR also cycle the momentum
/// (beta1 for Adam and AdamW under OneCycleLR) as PyTorch does.
///   optim::OneCycleLR sched(opt, optim::OneCycleLROptions({0.1}).total_steps(1000));
#include <string>

#include "nabla/optim/lr_scheduler.h"

namespace nabla::optim {

/// SGDR: cosine annealing restarted every T_i epochs, T_i = T_0 * T_mult^k.
class CosineAnnealingWarmRestarts : public LRScheduler {
 public:
  CosineAnnealingWarmRestarts(Optimizer& optimizer, int64_t T_0, int64_t T_mult = 1, double eta_min = 0);
  void step() override;
  /// Jumps to a (possibly fractional) epoch, e.g. epoch + batch / batches_per_epoch.
  void step(double epoch);

 protected:
  std::vector<double> get_lr() override;
  void step_at(int64_t epoch) override { step(static_cast<double>(epoch)); }
  void save_extra(OptionMap& out) const override;
  void load_extra(const OptionMap& in) override;
  void advance(std::optional<double> epoch);
  int64_t T_0_, T_i_, T_mult_;
  double eta_min_;
  double T_cur_;
};

struct CyclicLROptions {
  /// One value for all groups, or one per group.
  CyclicLROptions(std::vector<double> base_lr, std::vector<double> max_lr);
  NABLA_ARG(std::vector<double>, base_lr);
  NABLA_ARG(std::vector<double>, max_lr);
  NABLA_ARG(double, step_size_up) = 2000;
  NABLA_ARG(std::optional<double>, step_size_down) = std::nullopt;
  /// "triangular", "triangular2" or "exp_range" (ignored when scale_fn is set).
  NABLA_ARG(std::string, mode) = "triangular";
  NABLA_ARG(double, gamma) = 1.0;
  NABLA_ARG(std::function<double(double)>, scale_fn) = nullptr;
  /// "cycle" or "iterations": the argument of a custom scale_fn.
  NABLA_ARG(std::string, scale_mode) = "cycle";
  NABLA_ARG(bool, cycle_momentum) = true;
  NABLA_ARG(std::vector<double>, base_momentum) = {0.8};
  NABLA_ARG(std::vector<double>, max_momentum) = {0.9};
};

/// Cyclical learning rate between base_lr and max_lr (and momentum between max and base).
class CyclicLR : public LRScheduler {
 public:
  CyclicLR(Optimizer& optimizer, CyclicLROptions options);

 protected:
  std::vector<double> get_lr() override;
  void save_extra(OptionMap& out) const override;
  double scale(double x) const;
  CyclicLROptions options_;
  std::vector<double> max_lrs_, base_momentums_, max_momentums_;
  double total_size_, step_ratio_;
  std::string scale_mode_;
};

struct OneCycleLROptions {
  /// One value for all groups, or one per group.
  OneCycleLROptions(std::vector<double> max_lr);  // NOLINT: implicit
  NABLA_ARG(std::vector<double>, max_lr);
  NABLA_ARG(std::optional<int64_t>, total_steps) = std::nullopt;
  NABLA_ARG(std::optional<int64_t>, epochs) = std::nullopt;
  NABLA_ARG(std::optional<int64_t>, steps_per_epoch) = std::nullopt;
  NABLA_ARG(double, pct_start) = 0.3;
  /// "cos" or "linear".
  NABLA_ARG(std::string, anneal_strategy) = "cos";
  NABLA_ARG(bool, cycle_momentum) = true;
  NABLA_ARG(std::vector<double>, base_momentum) = {0.85};
  NABLA_ARG(std::vector<double>, max_momentum) = {0.95};
  NABLA_ARG(double, div_factor) = 25.0;
  NABLA_ARG(double, final_div_factor) = 1e4;
  NABLA_ARG(bool, three_phase) = false;
};

/// The 1cycle policy: warm up to max_lr, then anneal far below the initial lr.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, OneCycleLROptions options);

 protected:
  struct Phase {
    double end_step;
    const char *start_lr, *end_lr, *start_momentum, *end_momentum;
  };
  std::vector<double> get_lr() override;
  void save_extra(OptionMap& out) const override;
  double anneal(double start, double end, double pct) const;
  OneCycleLROptions options_;
  int64_t total_steps_;
  std::vector<Phase> phases_;
};

}  // namespace nabla::optim
