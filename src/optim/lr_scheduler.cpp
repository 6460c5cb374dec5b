// The epoch-driven LR schedulers: PyTorch 1.13's torch/optim/lr_scheduler.py formulas, in the
// same order of float64 operations.
#include <algorithm>
#include <cmath>
#include <numbers>

#include <nabla/optim/lr_scheduler.h>

#include "optim/common.h"

// Note [Scheduler rounding]: Python evaluates each multiply and add separately; fused
// multiply-adds would change the last bits of the learning rates.
#if !defined(__clang__)  // Clang: -ffp-contract=off for the whole build (CMakeLists.txt)
#pragma GCC optimize("fp-contract=off")
#endif

namespace nabla::optim {

namespace {

// Python's `a % b` for integers (the sign follows b).
int64_t py_mod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
}  // namespace

// ---- LRScheduler -----------------------------------------------------------------------------

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(&optimizer) {}

void LRScheduler::initialize() {
  base_lrs_.clear();
  for (auto& group : optimizer_->param_groups()) {
    auto& extra = group.scheduler_values();
    if (!extra.count("initial_lr")) extra["initial_lr"] = group.options().get_lr();
    base_lrs_.push_back(extra["initial_lr"]);
  }
  initial_step();
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

void LRScheduler::step() {
  step_count_ += 1;
  last_epoch_ += 1;
  set_group_lrs(get_lr());
}

void LRScheduler::step_at(int64_t epoch) {
  step_count_ += 1;
  last_epoch_ = epoch;
  auto closed = closed_form_lr();
  set_group_lrs(closed ? *closed : get_lr());
}

std::vector<double> LRScheduler::group_lrs() const {
  std::vector<double> out;
  for (const auto& group : optimizer_->param_groups()) out.push_back(group.options().get_lr());
  return out;
}

void LRScheduler::set_group_lrs(const std::vector<double>& lrs) {
  auto& groups = optimizer_->param_groups();
  for (size_t i = 0; i < groups.size() && i < lrs.size(); ++i) groups[i].options().set_lr(lrs[i]);
  last_lr_ = group_lrs();
}

SchedulerStateDict LRScheduler::state_dict() const {
  SchedulerStateDict out;
  out.values["last_epoch"] = last_epoch_;
  out.values["_step_count"] = step_count_;
  out.values["base_lrs"] = base_lrs_;
  out.values["_last_lr"] = last_lr_;
  save_extra(out.values);
  return out;
}

void LRScheduler::load_state_dict(const SchedulerStateDict& state_dict) {
  const auto& v = state_dict.values;
  last_epoch_ = option_int(v, "last_epoch");
  step_count_ = option_int(v, "_step_count");
  base_lrs_ = option_list(v, "base_lrs");
  last_lr_ = option_list(v, "_last_lr");
  load_extra(v);
}

// ---- StepLR, MultiStepLR -----------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  initialize();
}

std::vector<double> StepLR::get_lr() {
  auto lrs = group_lrs();
  if (last_epoch_ == 0 || py_mod(last_epoch_, step_size_) != 0) return lrs;
  for (auto& lr : lrs) lr *= gamma_;
  return lrs;
}

std::optional<std::vector<double>> StepLR::closed_form_lr() const {
  std::vector<double> out;
  const int64_t q = last_epoch_ >= 0 ? last_epoch_ / step_size_ : -((-last_epoch_ + step_size_ - 1) / step_size_);
  for (double b : base_lrs_) out.push_back(b * std::pow(gamma_, static_cast<double>(q)));
  return out;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  initialize();
}

std::vector<double> MultiStepLR::get_lr() {
  auto lrs = group_lrs();
  const auto count = std::count(milestones_.begin(), milestones_.end(), last_epoch_);
  if (count == 0) return lrs;
  for (auto& lr : lrs) lr *= std::pow(gamma_, static_cast<double>(count));
  return lrs;
}

std::optional<std::vector<double>> MultiStepLR::closed_form_lr() const {
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_) - milestones_.begin();
  std::vector<double> out;
  for (double b : base_lrs_) out.push_back(b * std::pow(gamma_, static_cast<double>(passed)));
  return out;
}

// ---- ConstantLR, LinearLR, ExponentialLR, PolynomialLR ----------------------------------------

ConstantLR::ConstantLR(Optimizer& optimizer, double factor, int64_t total_iters)
    : LRScheduler(optimizer), factor_(factor), total_iters_(total_iters) {
  NABLA_CHECK(!(factor > 1.0 || factor < 0), "Constant multiplicative factor expected to be between 0 and 1.");
  initialize();
}

std::vector<double> ConstantLR::get_lr() {
  auto lrs = group_lrs();
  if (last_epoch_ == 0) {
    for (auto& lr : lrs) lr *= factor_;
    return lrs;
  }
  if (last_epoch_ != total_iters_) return lrs;
  for (auto& lr : lrs) lr *= 1.0 / factor_;
  return lrs;
}

std::optional<std::vector<double>> ConstantLR::closed_form_lr() const {
  std::vector<double> out;
  const double past = last_epoch_ >= total_iters_ ? 1.0 : 0.0;
  for (double b : base_lrs_) out.push_back(b * (factor_ + past * (1 - factor_)));
  return out;
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  NABLA_CHECK(!(start_factor > 1.0 || start_factor < 0),
              "Starting multiplicative factor expected to be between 0 and 1.");
  NABLA_CHECK(!(end_factor > 1.0 || end_factor < 0),
              "Ending multiplicative factor expected to be between 0 and 1.");
  initialize();
}

std::vector<double> LinearLR::get_lr() {
  auto lrs = group_lrs();
  if (last_epoch_ == 0) {
    for (auto& lr : lrs) lr *= start_factor_;
    return lrs;
  }
  if (last_epoch_ > total_iters_) return lrs;
  const double f = 1.0 + (end_factor_ - start_factor_) /
                             (static_cast<double>(total_iters_) * start_factor_ +
                              static_cast<double>(last_epoch_ - 1) * (end_factor_ - start_factor_));
  for (auto& lr : lrs) lr *= f;
  return lrs;
}

std::optional<std::vector<double>> LinearLR::closed_form_lr() const {
  std::vector<double> out;
  const double m = static_cast<double>(std::min(total_iters_, last_epoch_));
  for (double b : base_lrs_) {
    out.push_back(b * (start_factor_ + (end_factor_ - start_factor_) * m / static_cast<double>(total_iters_)));
  }
  return out;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  initialize();
}

std::vector<double> ExponentialLR::get_lr() {
  auto lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  for (auto& lr : lrs) lr *= gamma_;
  return lrs;
}

std::optional<std::vector<double>> ExponentialLR::closed_form_lr() const {
  std::vector<double> out;
  for (double b : base_lrs_) out.push_back(b * std::pow(gamma_, static_cast<double>(last_epoch_)));
  return out;
}

PolynomialLR::PolynomialLR(Optimizer& optimizer, int64_t total_iters, double power)
    : LRScheduler(optimizer), total_iters_(total_iters), power_(power) {
  initialize();
}

std::vector<double> PolynomialLR::get_lr() {
  auto lrs = group_lrs();
  if (last_epoch_ == 0 || last_epoch_ > total_iters_) return lrs;
  const double T = static_cast<double>(total_iters_);
  const double decay = std::pow((1.0 - static_cast<double>(last_epoch_) / T) /
                                    (1.0 - static_cast<double>(last_epoch_ - 1) / T),
                                power_);
  for (auto& lr : lrs) lr *= decay;
  return lrs;
}

std::optional<std::vector<double>> PolynomialLR::closed_form_lr() const {
  std::vector<double> out;
  const double m = static_cast<double>(std::min(total_iters_, last_epoch_));
  for (double b : base_lrs_) out.push_back(b * std::pow(1.0 - m / static_cast<double>(total_iters_), power_));
  return out;
}

// ---- CosineAnnealingLR -----------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
  initialize();
}

std::vector<double> CosineAnnealingLR::get_lr() {
  auto lrs = group_lrs();
  const double T = static_cast<double>(T_max_);
  const double e = static_cast<double>(last_epoch_);
  if (last_epoch_ == 0) return lrs;
  if (step_count_ == 1 && last_epoch_ > 0) {
    for (size_t i = 0; i < lrs.size(); ++i) {
      lrs[i] = eta_min_ + (base_lrs_[i] - eta_min_) * (1 + std::cos(e * std::numbers::pi / T)) / 2;
    }
    return lrs;
  }
  if (py_mod(last_epoch_ - 1 - T_max_, 2 * T_max_) == 0) {
    for (size_t i = 0; i < lrs.size(); ++i) {
      lrs[i] = lrs[i] + (base_lrs_[i] - eta_min_) * (1 - std::cos(std::numbers::pi / T)) / 2;
    }
    return lrs;
  }
  for (auto& lr : lrs) {
    lr = (1 + std::cos(std::numbers::pi * e / T)) / (1 + std::cos(std::numbers::pi * (e - 1) / T)) * (lr - eta_min_) + eta_min_;
  }
  return lrs;
}

std::optional<std::vector<double>> CosineAnnealingLR::closed_form_lr() const {
  std::vector<double> out;
  const double e = static_cast<double>(last_epoch_);
  for (double b : base_lrs_) {
    out.push_back(eta_min_ + (b - eta_min_) * (1 + std::cos(std::numbers::pi * e / static_cast<double>(T_max_))) / 2);
  }
  return out;
}

// ---- LambdaLR, MultiplicativeLR ----------------------------------------------------------------

namespace {
template <typename L>
std::vector<L> per_group(const Optimizer& optimizer, std::vector<L> lambdas) {
  const size_t groups = optimizer.param_groups().size();
  NABLA_CHECK(lambdas.size() == groups, "Expected ", groups, " lr_lambdas, but got ", lambdas.size());
  return lambdas;
}
}  // namespace

LambdaLR::LambdaLR(Optimizer& optimizer, Lambda lr_lambda)
    : LRScheduler(optimizer), lr_lambdas_(optimizer.param_groups().size(), lr_lambda) {
  initialize();
}

LambdaLR::LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas)
    : LRScheduler(optimizer), lr_lambdas_(per_group(optimizer, std::move(lr_lambdas))) {
  initialize();
}

std::vector<double> LambdaLR::get_lr() {
  std::vector<double> out;
  for (size_t i = 0; i < base_lrs_.size(); ++i) out.push_back(base_lrs_[i] * lr_lambdas_[i](last_epoch_));
  return out;
}

MultiplicativeLR::MultiplicativeLR(Optimizer& optimizer, Lambda lr_lambda)
    : LRScheduler(optimizer), lr_lambdas_(optimizer.param_groups().size(), lr_lambda) {
  initialize();
}

MultiplicativeLR::MultiplicativeLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas)
    : LRScheduler(optimizer), lr_lambdas_(per_group(optimizer, std::move(lr_lambdas))) {
  initialize();
}

std::vector<double> MultiplicativeLR::get_lr() {
  auto lrs = group_lrs();
  if (last_epoch_ > 0) {
    for (size_t i = 0; i < lrs.size(); ++i) lrs[i] *= lr_lambdas_[i](last_epoch_);
  }
  return lrs;
}

}  // namespace nabla::optim
