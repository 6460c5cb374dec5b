// Adam and AdamW: PyTorch 1.13's single-tensor algorithms (torch/optim/adam.py
// _single_tensor_adam, adamw.py _single_tensor_adamw) as one fused loop per parameter, each
// operation rounded in the parameter's dtype as PyTorch does; the bias corrections are
// computed in double as Python does.
#include <cmath>

#include <nabla/autograd.h>
#include <nabla/optim/adam.h>

#include "optim/common.h"

namespace nabla::optim {

using detail::py_float;

namespace {

template <typename O>
OptionMap adam_map(const O& o) {
  return {{"lr", o.lr()},
          {"betas", std::vector<double>{std::get<0>(o.betas()), std::get<1>(o.betas())}},
          {"eps", o.eps()},
          {"weight_decay", o.weight_decay()},
          {"amsgrad", o.amsgrad()},
          {"maximize", o.maximize()}};
}

template <typename O>
void adam_from_map(O& o, const OptionMap& map) {
  detail::read_option(map, "lr", o.lr());
  if (map.count("betas")) {
    const auto& b = option_list(map, "betas");
    NABLA_CHECK(b.size() == 2, "option 'betas' must have two values");
    o.betas(std::make_tuple(b[0], b[1]));
  }
  detail::read_option(map, "eps", o.eps());
  detail::read_option(map, "weight_decay", o.weight_decay());
  detail::read_option(map, "amsgrad", o.amsgrad());
  detail::read_option(map, "maximize", o.maximize());
}

template <typename O>
void check_adam(const O& o) {
  NABLA_CHECK(o.lr() >= 0, "Invalid learning rate: ", py_float(o.lr()));
  NABLA_CHECK(o.eps() >= 0, "Invalid epsilon value: ", py_float(o.eps()));
  const double b0 = std::get<0>(o.betas()), b1 = std::get<1>(o.betas());
  NABLA_CHECK(0 <= b0 && b0 < 1.0, "Invalid beta parameter at index 0: ", py_float(b0));
  NABLA_CHECK(0 <= b1 && b1 < 1.0, "Invalid beta parameter at index 1: ", py_float(b1));
  NABLA_CHECK(o.weight_decay() >= 0, "Invalid weight_decay value: ", py_float(o.weight_decay()));
}

void check_adam_state(const OptimizerParamState& state, const Tensor& param) {
  const auto& st = static_cast<const AdamParamState&>(state);
  detail::check_state_tensor(st.exp_avg(), "exp_avg", param);
  detail::check_state_tensor(st.exp_avg_sq(), "exp_avg_sq", param);
  detail::check_state_tensor(st.max_exp_avg_sq(), "max_exp_avg_sq", param);
  NABLA_CHECK(st.exp_avg().defined() == st.exp_avg_sq().defined(),
              "'exp_avg' and 'exp_avg_sq' must be both present or both absent");
}

struct AdamScalars {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, maximize, decoupled;
};

template <typename T>
void adam_update(T* param_data, const T* grad_data, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                 int64_t n, const AdamScalars& s, int64_t step) {
  const double bias_correction1 = 1 - std::pow(s.beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(s.beta2, static_cast<double>(step));
  const T neg_step_size = static_cast<T>(-(s.lr / bias_correction1));
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T b1 = static_cast<T>(s.beta1), b2 = static_cast<T>(s.beta2);
  const T one_minus_b1 = static_cast<T>(1 - s.beta1), one_minus_b2 = static_cast<T>(1 - s.beta2);
  const T eps = static_cast<T>(s.eps);
  const T wd = static_cast<T>(s.weight_decay);
  const T decay_factor = static_cast<T>(1 - s.lr * s.weight_decay);
  const bool l2 = !s.decoupled && s.weight_decay != 0;
  const bool maximize = s.maximize, decoupled = s.decoupled;
  // Note [Vectorised sqrt] (optim/common.h): the first loop leaves the decayed parameter in p
  // and the argument of the square root in r; the last one finishes the update.
  detail::for_blocks(n, [=](int64_t b, int64_t e) {
    // Local copies: the compiler then knows that the stores below do not move the pointers.
    T* const p = param_data;
    const T* const g = grad_data;
    T* const m = exp_avg;
    T* const v = exp_avg_sq;
    T* const vmax = max_exp_avg_sq;
    T r[detail::kBlock];
    for (int64_t i = b; i < e; ++i) {
      T grad = maximize ? -g[i] : g[i];
      T param = p[i];
      if (decoupled) param = param * decay_factor;
      if (l2) grad = std::fma(param, wd, grad);
      const T mi = std::fma(grad, one_minus_b1, m[i] * b1);
      const T vi = v[i] * b2 + one_minus_b2 * grad * grad;
      m[i] = mi;
      v[i] = vi;
      p[i] = param;
      r[i - b] = vi;
    }
    if (vmax) {
      for (int64_t i = b; i < e; ++i) {
        const T mx = (vmax[i] < v[i] || v[i] != v[i]) ? v[i] : vmax[i];
        vmax[i] = mx;
        r[i - b] = mx;
      }
    }
    detail::sqrt_inplace(r, e - b);
    for (int64_t i = b; i < e; ++i) {
      const T denom = r[i - b] / bc2_sqrt + eps;
      p[i] = p[i] + neg_step_size * (m[i] / denom);
    }
  });
}

// The shared step of Adam and AdamW.
template <typename O>
void adam_step(std::vector<OptimizerParamGroup>& groups, bool decoupled,
               const std::function<AdamParamState&(const Tensor&)>& state_of) {
  NoGradGuard no_grad;
  for (auto& group : groups) {
    const auto& o = static_cast<const O&>(group.options());
    const AdamScalars s{o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()), o.eps(),
                        o.weight_decay(), o.amsgrad(), o.maximize(), decoupled};
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor g = detail::dense_grad(p);
      auto& st = state_of(p);
      if (!st.exp_avg().defined()) {
        st.step(0);
        st.exp_avg(zeros(p.sizes(), p.options()));
        st.exp_avg_sq(zeros(p.sizes(), p.options()));
      }
      if (o.amsgrad() && !st.max_exp_avg_sq().defined()) {
        st.max_exp_avg_sq(zeros(p.sizes(), p.options()));
      }
      st.step(st.step() + 1);
      detail::update_param(p, [&](const Tensor& work) {
        detail::dispatch_floating(p, [&](auto tag) {
          using T = decltype(tag);
          adam_update<T>(work.data_ptr<T>(), g.data_ptr<T>(), st.exp_avg().data_ptr<T>(),
                         st.exp_avg_sq().data_ptr<T>(),
                         o.amsgrad() ? st.max_exp_avg_sq().data_ptr<T>() : nullptr, p.numel(), s,
                         st.step());
        });
      });
    }
  }
}

}  // namespace

AdamOptions::AdamOptions(double lr) : lr_(lr) {}
OptionMap AdamOptions::to_map() const { return adam_map(*this); }
void AdamOptions::from_map(const OptionMap& map) { adam_from_map(*this, map); }

AdamWOptions::AdamWOptions(double lr) : lr_(lr) {}
OptionMap AdamWOptions::to_map() const { return adam_map(*this); }
void AdamWOptions::from_map(const OptionMap& map) { adam_from_map(*this, map); }

void AdamParamState::to_dict(OptimizerStateDict::ParamState& out) const {
  out.tensors["step"] = scalar_tensor(static_cast<double>(step_), kFloat);
  out.tensors["exp_avg"] = detail::copy_of(exp_avg_);
  out.tensors["exp_avg_sq"] = detail::copy_of(exp_avg_sq_);
  if (max_exp_avg_sq_.defined()) out.tensors["max_exp_avg_sq"] = detail::copy_of(max_exp_avg_sq_);
}

void AdamParamState::from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) {
  step_ = detail::read_step(in);
  exp_avg_ = detail::state_tensor_for(detail::find_tensor(in, "exp_avg"), param);
  exp_avg_sq_ = detail::state_tensor_for(detail::find_tensor(in, "exp_avg_sq"), param);
  max_exp_avg_sq_ = detail::state_tensor_for(detail::find_tensor(in, "max_exp_avg_sq"), param);
}

Adam::Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdamOptions>(defaults)) {
  check_adam(defaults);
}

Adam::Adam(std::vector<Tensor> params, AdamOptions defaults)
    : Optimizer(std::move(params), std::make_unique<AdamOptions>(defaults)) {
  check_adam(defaults);
}

std::unique_ptr<OptimizerParamState> Adam::make_param_state() const {
  return std::make_unique<AdamParamState>();
}

void Adam::check_options(const OptimizerOptions& options) const {
  check_adam(static_cast<const AdamOptions&>(options));
}

void Adam::check_param_state(const OptimizerParamState& state, const Tensor& param, const OptimizerOptions&) const {
  check_adam_state(state, param);
}

Tensor Adam::step(LossClosure closure) {
  Tensor loss;
  if (closure) {
    AutoGradMode enable(true);
    loss = closure();
  }
  adam_step<AdamOptions>(param_groups_, false,
                         [this](const Tensor& p) -> AdamParamState& { return param_state<AdamParamState>(p); });
  return loss;
}

AdamW::AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdamWOptions>(defaults)) {
  check_adam(defaults);
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults)
    : Optimizer(std::move(params), std::make_unique<AdamWOptions>(defaults)) {
  check_adam(defaults);
}

std::unique_ptr<OptimizerParamState> AdamW::make_param_state() const {
  return std::make_unique<AdamParamState>();
}

void AdamW::check_options(const OptimizerOptions& options) const {
  check_adam(static_cast<const AdamWOptions&>(options));
}

void AdamW::check_param_state(const OptimizerParamState& state, const Tensor& param, const OptimizerOptions&) const {
  check_adam_state(state, param);
}

Tensor AdamW::step(LossClosure closure) {
  Tensor loss;
  if (closure) {
    AutoGradMode enable(true);
    loss = closure();
  }
  adam_step<AdamWOptions>(param_groups_, true,
                          [this](const Tensor& p) -> AdamParamState& { return param_state<AdamParamState>(p); });
  return loss;
}

}  // namespace nabla::optim
