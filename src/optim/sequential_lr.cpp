// SequentialLR, ChainedScheduler and ReduceLROnPlateau (PyTorch 1.13's
// torch/optim/lr_scheduler.py).
#include <algorithm>
#include <cmath>
#include <limits>

#include <nabla/optim/sequential_lr.h>

#include "optim/common.h"

// See Note [Scheduler rounding] in lr_scheduler.cpp.
#if !defined(__clang__)  // Clang: -ffp-contract=off for the whole build (CMakeLists.txt)
#pragma GCC optimize("fp-contract=off")
#endif

namespace nabla::optim {

// ---- SequentialLR ----------------------------------------------------------------------------

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    NABLA_CHECK(&schedulers_[i]->optimizer() == &optimizer,
                "Sequential Schedulers expects all schedulers to belong to the same optimizer, but got "
                "schedulers at index ", i, " to be different than the optimizer passed in.");
  }
  NABLA_CHECK(!schedulers_.empty() && milestones_.size() == schedulers_.size() - 1,
              "Sequential Schedulers expects number of schedulers provided to be one more than the "
              "number of milestone points, but got number of schedulers ", schedulers_.size(),
              " and the number of milestones to be equal to ", milestones_.size());
  last_epoch_ = 0;  // Python: last_epoch + 1 with last_epoch = -1
  for (auto& group : optimizer.param_groups()) group.options().set_lr(group.scheduler_values().at("initial_lr"));
  for (auto& s : schedulers_) s->last_epoch_ -= 1;
  schedulers_[0]->initial_step();
  last_lr_ = schedulers_[0]->get_last_lr();
}

void SequentialLR::step() {
  last_epoch_ += 1;
  const auto idx = static_cast<size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) -
                                       milestones_.begin());
  auto& scheduler = *schedulers_[idx];
  if (idx > 0 && milestones_[idx - 1] == last_epoch_) {
    scheduler.step_at(0);
  } else {
    scheduler.step();
  }
  last_lr_ = scheduler.get_last_lr();
}

SchedulerStateDict SequentialLR::state_dict() const {
  SchedulerStateDict out;
  out.values["last_epoch"] = last_epoch_;
  out.values["_last_lr"] = last_lr_;
  std::vector<double> milestones(milestones_.begin(), milestones_.end());
  out.values["_milestones"] = milestones;
  for (const auto& s : schedulers_) out.schedulers.push_back(s->state_dict());
  return out;
}

void SequentialLR::load_state_dict(const SchedulerStateDict& state_dict) {
  NABLA_CHECK(state_dict.schedulers.size() == schedulers_.size(), "expected the states of ",
              schedulers_.size(), " schedulers, got ", state_dict.schedulers.size());
  last_epoch_ = option_int(state_dict.values, "last_epoch");
  last_lr_ = option_list(state_dict.values, "_last_lr");
  for (size_t i = 0; i < schedulers_.size(); ++i) schedulers_[i]->load_state_dict(state_dict.schedulers[i]);
}

// ---- ChainedScheduler ------------------------------------------------------------------------

namespace {
Optimizer& first_optimizer(const std::vector<std::shared_ptr<LRScheduler>>& schedulers) {
  NABLA_CHECK(!schedulers.empty(), "ChainedScheduler expects at least one scheduler");
  return schedulers[0]->optimizer();
}
}  // namespace

ChainedScheduler::ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers)
    : LRScheduler(first_optimizer(schedulers)), schedulers_(std::move(schedulers)) {
  for (size_t i = 1; i < schedulers_.size(); ++i) {
    NABLA_CHECK(&schedulers_[i]->optimizer() == optimizer_,
                "ChainedScheduler expects all schedulers to belong to the same optimizer, but got "
                "schedulers at index 0 and ", i, " to be different");
  }
  last_lr_ = group_lrs();
}

void ChainedScheduler::step() {
  for (auto& s : schedulers_) s->step();
  last_lr_ = group_lrs();
}

SchedulerStateDict ChainedScheduler::state_dict() const {
  SchedulerStateDict out;
  out.values["_last_lr"] = last_lr_;
  for (const auto& s : schedulers_) out.schedulers.push_back(s->state_dict());
  return out;
}

void ChainedScheduler::load_state_dict(const SchedulerStateDict& state_dict) {
  NABLA_CHECK(state_dict.schedulers.size() == schedulers_.size(), "expected the states of ",
              schedulers_.size(), " schedulers, got ", state_dict.schedulers.size());
  last_lr_ = option_list(state_dict.values, "_last_lr");
  for (size_t i = 0; i < schedulers_.size(); ++i) schedulers_[i]->load_state_dict(state_dict.schedulers[i]);
}

// ---- ReduceLROnPlateau -----------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(&optimizer), options_(std::move(options)) {
  NABLA_CHECK(options_.factor() < 1.0, "Factor should be < 1.0.");
  const size_t groups = optimizer.param_groups().size();
  const auto& min_lr = options_.min_lr();
  if (min_lr.size() == 1) {
    min_lrs_.assign(groups, min_lr[0]);
  } else {
    NABLA_CHECK(min_lr.size() == groups, "expected ", groups, " min_lrs, got ", min_lr.size());
    min_lrs_ = min_lr;
  }
  NABLA_CHECK(options_.mode() == "min" || options_.mode() == "max", "mode ", options_.mode(), " is unknown!");
  NABLA_CHECK(options_.threshold_mode() == "rel" || options_.threshold_mode() == "abs", "threshold mode ",
              options_.threshold_mode(), " is unknown!");
  best_ = options_.mode() == "min" ? std::numeric_limits<double>::infinity()
                                   : -std::numeric_limits<double>::infinity();
  for (const auto& g : optimizer.param_groups()) last_lr_.push_back(g.options().get_lr());
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  const double th = options_.threshold();
  const bool rel = options_.threshold_mode() == "rel";
  if (options_.mode() == "min") return rel ? a < best * (1.0 - th) : a < best - th;
  return rel ? a > best * (th + 1.0) : a > best + th;
}

void ReduceLROnPlateau::step(double metric) {
  last_epoch_ += 1;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    num_bad_epochs_ += 1;
  }
  if (cooldown_counter_ > 0) {
    cooldown_counter_ -= 1;
    num_bad_epochs_ = 0;
  }
  auto& groups = optimizer_->param_groups();
  if (num_bad_epochs_ > options_.patience()) {
    for (size_t i = 0; i < groups.size(); ++i) {
      const double old_lr = groups[i].options().get_lr();
      const double new_lr = std::max(old_lr * options_.factor(), min_lrs_[i]);
      if (old_lr - new_lr > options_.eps()) groups[i].options().set_lr(new_lr);
    }
    cooldown_counter_ = options_.cooldown();
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (const auto& g : groups) last_lr_.push_back(g.options().get_lr());
}

SchedulerStateDict ReduceLROnPlateau::state_dict() const {
  SchedulerStateDict out;
  auto& v = out.values;
  v["factor"] = options_.factor();
  v["min_lrs"] = min_lrs_;
  v["patience"] = options_.patience();
  v["cooldown"] = options_.cooldown();
  v["cooldown_counter"] = cooldown_counter_;
  v["mode"] = options_.mode();
  v["threshold"] = options_.threshold();
  v["threshold_mode"] = options_.threshold_mode();
  v["best"] = best_;
  v["num_bad_epochs"] = num_bad_epochs_;
  v["eps"] = options_.eps();
  v["last_epoch"] = last_epoch_;
  v["_last_lr"] = last_lr_;
  return out;
}

void ReduceLROnPlateau::load_state_dict(const SchedulerStateDict& state_dict) {
  const auto& v = state_dict.values;
  detail::read_option(v, "factor", options_.factor());
  if (v.count("min_lrs")) min_lrs_ = option_list(v, "min_lrs");
  detail::read_option(v, "patience", options_.patience());
  detail::read_option(v, "cooldown", options_.cooldown());
  detail::read_option(v, "cooldown_counter", cooldown_counter_);
  if (auto it = v.find("mode"); it != v.end()) options_.mode(std::get<std::string>(it->second));
  detail::read_option(v, "threshold", options_.threshold());
  if (auto it = v.find("threshold_mode"); it != v.end()) options_.threshold_mode(std::get<std::string>(it->second));
  detail::read_option(v, "best", best_);
  detail::read_option(v, "num_bad_epochs", num_bad_epochs_);
  detail::read_option(v, "eps", options_.eps());
  detail::read_option(v, "last_epoch", last_epoch_);
  if (v.count("_last_lr")) last_lr_ = option_list(v, "_last_lr");
}

}  // namespace nabla::optim
