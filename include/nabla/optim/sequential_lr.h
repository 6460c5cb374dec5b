#pragma once
/// Schedulers that drive others (Python's SequentialLR, ChainedScheduler) and
/// ReduceLROnPlateau, which reacts to a metric.
///   auto warm = std::make_shared<optim::LinearLR>(opt, 0.1, 1.0, 5);
///   auto decay = std::make_shared<optim::ExponentialLR>(opt, 0.9);
///   optim::SequentialLR sched(opt, {warm, decay}, {5});
#include <memory>
#include <string>

#include "nabla/optim/lr_scheduler.h"

namespace nabla::optim {

/// Runs schedulers one after another, switching at the milestones.
class SequentialLR : public LRScheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
               std::vector<int64_t> milestones);
  void step() override;
  SchedulerStateDict state_dict() const override;
  void load_state_dict(const SchedulerStateDict& state_dict) override;

 protected:
  std::vector<double> get_lr() override { return group_lrs(); }
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
  std::vector<int64_t> milestones_;
};

/// Steps every scheduler each step, so their factors multiply.
class ChainedScheduler : public LRScheduler {
 public:
  explicit ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers);
  void step() override;
  SchedulerStateDict state_dict() const override;
  void load_state_dict(const SchedulerStateDict& state_dict) override;

 protected:
  std::vector<double> get_lr() override { return group_lrs(); }
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
};

struct ReduceLROnPlateauOptions {
  /// "min" or "max": whether the metric should go down or up.
  NABLA_ARG(std::string, mode) = "min";
  NABLA_ARG(double, factor) = 0.1;
  NABLA_ARG(int64_t, patience) = 10;
  NABLA_ARG(double, threshold) = 1e-4;
  /// "rel" or "abs".
  NABLA_ARG(std::string, threshold_mode) = "rel";
  NABLA_ARG(int64_t, cooldown) = 0;
  /// One value for all groups, or one per group.
  NABLA_ARG(std::vector<double>, min_lr) = {0.0};
  NABLA_ARG(double, eps) = 1e-8;
};

/// Multiplies the lr by factor when the metric has not improved for `patience` steps.
///   sched.step(validation_loss);
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  SchedulerStateDict state_dict() const;
  void load_state_dict(const SchedulerStateDict& state_dict);

 private:
  bool is_better(double a, double best) const;
  Optimizer* optimizer_;
  ReduceLROnPlateauOptions options_;
  std::vector<double> min_lrs_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

}  // namespace nabla::optim
