#pragma once
/// Learning-rate schedulers: Python's torch.optim.lr_scheduler in C++ form (libtorch has only
/// StepLR). Each sets the lr of every parameter group of its optimizer, with PyTorch's
/// recursive (chainable) formulas so that the values match PyTorch's float64 arithmetic.
///   optim::SGD opt(params, optim::SGDOptions(0.1));
///   optim::StepLR sched(opt, /*step_size=*/30, /*gamma=*/0.1);
///   for (int epoch = 0; epoch < 100; ++epoch) { train(opt); sched.step(); }
#include <functional>
#include <optional>
#include <vector>

#include "nabla/optim/optimizer.h"

namespace nabla::optim {

/// A scheduler's state in Python's `scheduler.state_dict()` names (`last_epoch`,
/// `_step_count`, `base_lrs`, `_last_lr`, and each scheduler's own: `T_cur`, `best`, ...);
/// schedulers that wrap others (SequentialLR, ChainedScheduler) keep theirs in `schedulers`.
struct SchedulerStateDict {
  OptionMap values;
  std::vector<SchedulerStateDict> schedulers;
};

/// Base of the epoch-driven schedulers (Python's _LRScheduler). A subclass sets its fields,
/// then calls initialize() at the end of its constructor (which takes the first step).
class LRScheduler {
 public:
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;
  virtual ~LRScheduler() = default;

  /// Advances one epoch and sets the groups' learning rates.
  virtual void step();
  /// The learning rates the last step set, one per group.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  int64_t last_epoch() const { return last_epoch_; }
  Optimizer& optimizer() const { return *optimizer_; }

  virtual SchedulerStateDict state_dict() const;
  virtual void load_state_dict(const SchedulerStateDict& state_dict);

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  /// Python's _LRScheduler.__init__ tail: each group's `initial_lr` defaults to its lr, the
  /// base lrs are the initial lrs, and the first step is taken.
  void initialize();
  /// Resets the step count and takes the first step (Python's _initial_step).
  void initial_step();
  /// The chainable formula: the new lr of each group.
  virtual std::vector<double> get_lr() = 0;
  /// The closed form at last_epoch, where PyTorch has one (used by step_at).
  virtual std::optional<std::vector<double>> closed_form_lr() const { return std::nullopt; }
  /// Python's step(epoch): jumps to `epoch` (SequentialLR uses it at milestones).
  virtual void step_at(int64_t epoch);
  /// Extra entries of state_dict / load_state_dict.
  virtual void save_extra(OptionMap&) const {}
  virtual void load_extra(const OptionMap&) {}

  std::vector<double> group_lrs() const;
  void set_group_lrs(const std::vector<double>& lrs);

  Optimizer* optimizer_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;

  friend class SequentialLR;
};

/// lr *= gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;
  int64_t step_size_;
  double gamma_;
};

/// lr *= gamma at each milestone (a milestone listed twice multiplies twice).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;
  std::vector<int64_t> milestones_;  // sorted
  double gamma_;
};

/// lr = initial lr * factor until total_iters, then the initial lr.
class ConstantLR : public LRScheduler {
 public:
  ConstantLR(Optimizer& optimizer, double factor = 1.0 / 3, int64_t total_iters = 5);

 protected:
  std::vector<double> get_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;
  double factor_;
  int64_t total_iters_;
};

/// The factor goes linearly from start_factor to end_factor over total_iters epochs.
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
           int64_t total_iters = 5);

 protected:
  std::vector<double> get_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;
  double start_factor_, end_factor_;
  int64_t total_iters_;
};

/// lr *= gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  std::vector<double> get_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;
  double gamma_;
};

/// lr decays as (1 - epoch / total_iters)^power, reaching 0 at total_iters.
class PolynomialLR : public LRScheduler {
 public:
  PolynomialLR(Optimizer& optimizer, int64_t total_iters = 5, double power = 1.0);

 protected:
  std::vector<double> get_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;
  int64_t total_iters_;
  double power_;
};

/// Cosine annealing from the initial lr to eta_min over T_max epochs (then back up).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

 protected:
  std::vector<double> get_lr() override;
  std::optional<std::vector<double>> closed_form_lr() const override;
  int64_t T_max_;
  double eta_min_;
};

/// lr = initial lr * lr_lambda(epoch); one function for all groups or one per group.
class LambdaLR : public LRScheduler {
 public:
  using Lambda = std::function<double(int64_t)>;
  LambdaLR(Optimizer& optimizer, Lambda lr_lambda);
  LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas);

 protected:
  std::vector<double> get_lr() override;
  std::vector<Lambda> lr_lambdas_;
};

/// lr *= lr_lambda(epoch) every epoch after the first.
class MultiplicativeLR : public LRScheduler {
 public:
  using Lambda = std::function<double(int64_t)>;
  MultiplicativeLR(Optimizer& optimizer, Lambda lr_lambda);
  MultiplicativeLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas);

 protected:
  std::vector<double> get_lr() override;
  std::vector<Lambda> lr_lambdas_;
};

}  // namespace nabla::optim
