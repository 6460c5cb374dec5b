// CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR: PyTorch 1.13's
// torch/optim/lr_scheduler.py formulas, in the same order of float64 operations.
#include <cmath>
#include <numbers>

#include <nabla/optim/cyclic_lr.h>

#include "optim/common.h"

// See Note [Scheduler rounding] in lr_scheduler.cpp.
#if !defined(__clang__)  // Clang: -ffp-contract=off for the whole build (CMakeLists.txt)
#pragma GCC optimize("fp-contract=off")
#endif

namespace nabla::optim {

namespace {

// Python's _format_param: one value for all groups, or exactly one per group.
std::vector<double> format_param(const std::string& name, const Optimizer& optimizer,
                                 const std::vector<double>& values) {
  const size_t groups = optimizer.param_groups().size();
  if (values.size() == 1) return std::vector<double>(groups, values[0]);
  NABLA_CHECK(values.size() == groups, "expected ", groups, " values for ", name, ", got ", values.size());
  return values;
}
}  // namespace

// ---- CosineAnnealingWarmRestarts ---------------------------------------------------------------

CosineAnnealingWarmRestarts::CosineAnnealingWarmRestarts(Optimizer& optimizer, int64_t T_0, int64_t T_mult,
                                                         double eta_min)
    : LRScheduler(optimizer), T_0_(T_0), T_i_(T_0), T_mult_(T_mult), eta_min_(eta_min), T_cur_(-1) {
  NABLA_CHECK(T_0 > 0, "Expected positive integer T_0, but got ", T_0);
  NABLA_CHECK(T_mult >= 1, "Expected integer T_mult >= 1, but got ", T_mult);
  initialize();
}

std::vector<double> CosineAnnealingWarmRestarts::get_lr() {
  std::vector<double> out;
  for (double b : base_lrs_) {
    out.push_back(eta_min_ + (b - eta_min_) * (1 + std::cos(std::numbers::pi * T_cur_ / static_cast<double>(T_i_))) / 2);
  }
  return out;
}

void CosineAnnealingWarmRestarts::step() { advance(std::nullopt); }

void CosineAnnealingWarmRestarts::step(double epoch) { advance(epoch); }

void CosineAnnealingWarmRestarts::advance(std::optional<double> epoch) {
  if (!epoch && last_epoch_ < 0) epoch = 0.0;
  if (!epoch) {
    epoch = static_cast<double>(last_epoch_ + 1);
    T_cur_ = T_cur_ + 1;
    if (T_cur_ >= static_cast<double>(T_i_)) {
      T_cur_ = T_cur_ - static_cast<double>(T_i_);
      T_i_ = T_i_ * T_mult_;
    }
  } else {
    const double e = *epoch;
    NABLA_CHECK(e >= 0, "Expected non-negative epoch, but got ", detail::py_float(e));
    const double T0 = static_cast<double>(T_0_);
    if (e >= T0) {
      if (T_mult_ == 1) {
        T_cur_ = std::fmod(e, T0);
      } else {
        const double m = static_cast<double>(T_mult_);
        const auto n = static_cast<int64_t>(std::log(e / T0 * (m - 1) + 1) / std::log(m));
        const double mn = std::pow(m, static_cast<double>(n));
        T_cur_ = e - T0 * (mn - 1) / (m - 1);
        T_i_ = T_0_ * static_cast<int64_t>(mn);
      }
    } else {
      T_i_ = T_0_;
      T_cur_ = e;
    }
  }
  step_count_ += 1;
  last_epoch_ = static_cast<int64_t>(std::floor(*epoch));
  set_group_lrs(get_lr());
}

void CosineAnnealingWarmRestarts::save_extra(OptionMap& out) const {
  out["T_0"] = T_0_;
  out["T_i"] = T_i_;
  out["T_mult"] = T_mult_;
  out["eta_min"] = eta_min_;
  out["T_cur"] = T_cur_;
}

void CosineAnnealingWarmRestarts::load_extra(const OptionMap& in) {
  detail::read_option(in, "T_0", T_0_);
  detail::read_option(in, "T_i", T_i_);
  detail::read_option(in, "T_mult", T_mult_);
  detail::read_option(in, "eta_min", eta_min_);
  detail::read_option(in, "T_cur", T_cur_);
}

// ---- CyclicLR --------------------------------------------------------------------------------

CyclicLROptions::CyclicLROptions(std::vector<double> base_lr, std::vector<double> max_lr)
    : base_lr_(std::move(base_lr)), max_lr_(std::move(max_lr)) {}

CyclicLR::CyclicLR(Optimizer& optimizer, CyclicLROptions options)
    : LRScheduler(optimizer), options_(std::move(options)) {
  const auto base_lrs = format_param("base_lr", optimizer, options_.base_lr());
  auto& groups = optimizer.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(base_lrs[i]);
  max_lrs_ = format_param("max_lr", optimizer, options_.max_lr());
  const double up = options_.step_size_up();
  const double down = options_.step_size_down().value_or(up);
  total_size_ = up + down;
  step_ratio_ = up / total_size_;
  const auto& mode = options_.mode();
  NABLA_CHECK(mode == "triangular" || mode == "triangular2" || mode == "exp_range" || options_.scale_fn(),
              "mode is invalid and scale_fn is None");
  scale_mode_ = options_.scale_fn() ? options_.scale_mode() : (mode == "exp_range" ? "iterations" : "cycle");
  if (options_.cycle_momentum()) {
    NABLA_CHECK(!optimizer.defaults().momentum_key().empty() && optimizer.defaults().momentum_key() == "momentum",
                "optimizer must support momentum with `cycle_momentum` option enabled");
    const auto base_m = format_param("base_momentum", optimizer, options_.base_momentum());
    for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_momentum(base_m[i]);
    for (auto& g : groups) base_momentums_.push_back(g.options().get_momentum());
    max_momentums_ = format_param("max_momentum", optimizer, options_.max_momentum());
  }
  initialize();
  base_lrs_ = base_lrs;
}

double CyclicLR::scale(double x) const {
  if (options_.scale_fn()) return options_.scale_fn()(x);
  if (options_.mode() == "triangular") return 1.0;
  if (options_.mode() == "triangular2") return 1 / std::pow(2.0, x - 1);
  return std::pow(options_.gamma(), x);
}

std::vector<double> CyclicLR::get_lr() {
  const double e = static_cast<double>(last_epoch_);
  const double cycle = std::floor(1 + e / total_size_);
  const double x = 1. + e / total_size_ - cycle;
  const double scale_factor = x <= step_ratio_ ? x / step_ratio_ : (x - 1) / (step_ratio_ - 1);
  const double s = scale(scale_mode_ == "cycle" ? cycle : e);
  std::vector<double> lrs;
  for (size_t i = 0; i < base_lrs_.size(); ++i) {
    const double base_height = (max_lrs_[i] - base_lrs_[i]) * scale_factor;
    lrs.push_back(base_lrs_[i] + base_height * s);
  }
  if (options_.cycle_momentum()) {
    auto& groups = optimizer_->param_groups();
    for (size_t i = 0; i < groups.size(); ++i) {
      const double base_height = (max_momentums_[i] - base_momentums_[i]) * scale_factor;
      groups[i].options().set_momentum(max_momentums_[i] - base_height * s);
    }
  }
  return lrs;
}

void CyclicLR::save_extra(OptionMap& out) const {
  out["max_lrs"] = max_lrs_;
  out["total_size"] = total_size_;
  out["step_ratio"] = step_ratio_;
  out["mode"] = options_.mode();
  out["gamma"] = options_.gamma();
  out["scale_mode"] = scale_mode_;
  out["cycle_momentum"] = options_.cycle_momentum();
  if (options_.cycle_momentum()) {
    out["base_momentums"] = base_momentums_;
    out["max_momentums"] = max_momentums_;
  }
}

// ---- OneCycleLR ------------------------------------------------------------------------------

OneCycleLROptions::OneCycleLROptions(std::vector<double> max_lr) : max_lr_(std::move(max_lr)) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleLROptions options)
    : LRScheduler(optimizer), options_(std::move(options)) {
  const auto& o = options_;
  NABLA_CHECK(o.total_steps() || o.epochs() || o.steps_per_epoch(),
              "You must define either total_steps OR (epochs AND steps_per_epoch)");
  if (o.total_steps()) {
    NABLA_CHECK(*o.total_steps() > 0, "Expected positive integer total_steps, but got ", *o.total_steps());
    total_steps_ = *o.total_steps();
  } else {
    NABLA_CHECK(o.epochs() && *o.epochs() > 0, "Expected positive integer epochs, but got ",
                o.epochs() ? std::to_string(*o.epochs()) : "None");
    NABLA_CHECK(o.steps_per_epoch() && *o.steps_per_epoch() > 0,
                "Expected positive integer steps_per_epoch, but got ",
                o.steps_per_epoch() ? std::to_string(*o.steps_per_epoch()) : "None");
    total_steps_ = *o.epochs() * *o.steps_per_epoch();
  }
  const double pct = o.pct_start(), total = static_cast<double>(total_steps_);
  if (o.three_phase()) {
    phases_ = {{pct * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
               {2 * pct * total - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"},
               {total - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"}};
  } else {
    phases_ = {{pct * total - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"},
               {total - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"}};
  }
  NABLA_CHECK(!(pct < 0 || pct > 1), "Expected float between 0 and 1 pct_start, but got ", detail::py_float(pct));
  NABLA_CHECK(o.anneal_strategy() == "cos" || o.anneal_strategy() == "linear",
              "anneal_strategy must by one of 'cos' or 'linear', instead got ", o.anneal_strategy());
  const auto max_lrs = format_param("max_lr", optimizer, o.max_lr());
  auto& groups = optimizer.param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    auto& extra = groups[i].scheduler_values();
    extra["initial_lr"] = max_lrs[i] / o.div_factor();
    extra["max_lr"] = max_lrs[i];
    extra["min_lr"] = extra["initial_lr"] / o.final_div_factor();
  }
  if (o.cycle_momentum()) {
    NABLA_CHECK(!optimizer.defaults().momentum_key().empty(),
                "optimizer must support momentum with `cycle_momentum` option enabled");
    const auto max_m = format_param("max_momentum", optimizer, o.max_momentum());
    const auto base_m = format_param("base_momentum", optimizer, o.base_momentum());
    for (size_t i = 0; i < groups.size(); ++i) {
      groups[i].options().set_momentum(max_m[i]);
      groups[i].scheduler_values()["max_momentum"] = max_m[i];
      groups[i].scheduler_values()["base_momentum"] = base_m[i];
    }
  }
  initialize();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (options_.anneal_strategy() == "cos") {
    const double cos_out = std::cos(std::numbers::pi * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
  }
  return (end - start) * pct + start;
}

std::vector<double> OneCycleLR::get_lr() {
  const int64_t step_num = last_epoch_;
  NABLA_CHECK(step_num <= total_steps_, "Tried to step ", step_num + 1,
              " times. The specified number of total steps is ", total_steps_);
  std::vector<double> lrs;
  for (auto& group : optimizer_->param_groups()) {
    const auto& v = group.scheduler_values();
    double start_step = 0, lr = 0, momentum = 0;
    for (size_t i = 0; i < phases_.size(); ++i) {
      const auto& ph = phases_[i];
      if (static_cast<double>(step_num) <= ph.end_step || i == phases_.size() - 1) {
        const double pct = (static_cast<double>(step_num) - start_step) / (ph.end_step - start_step);
        lr = anneal(v.at(ph.start_lr), v.at(ph.end_lr), pct);
        if (options_.cycle_momentum()) momentum = anneal(v.at(ph.start_momentum), v.at(ph.end_momentum), pct);
        break;
      }
      start_step = ph.end_step;
    }
    lrs.push_back(lr);
    if (options_.cycle_momentum()) group.options().set_momentum(momentum);
  }
  return lrs;
}

void OneCycleLR::save_extra(OptionMap& out) const {
  out["total_steps"] = total_steps_;
  out["cycle_momentum"] = options_.cycle_momentum();
  out["anneal_strategy"] = options_.anneal_strategy();
}

}  // namespace nabla::optim
