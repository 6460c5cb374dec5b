// Adagrad: PyTorch 1.13's single-tensor algorithm (torch/optim/adagrad.py,
// _single_tensor_adagrad) as one fused loop per parameter.
#include <cmath>

#include <nabla/autograd.h>
#include <nabla/optim/adagrad.h>

#include "optim/common.h"

namespace nabla::optim {

using detail::py_float;

AdagradOptions::AdagradOptions(double lr) : lr_(lr) {}

OptionMap AdagradOptions::to_map() const {
  return {{"lr", lr_},
          {"lr_decay", lr_decay_},
          {"weight_decay", weight_decay_},
          {"initial_accumulator_value", initial_accumulator_value_},
          {"eps", eps_},
          {"maximize", maximize_}};
}

void AdagradOptions::from_map(const OptionMap& map) {
  detail::read_option(map, "lr", lr_);
  detail::read_option(map, "lr_decay", lr_decay_);
  detail::read_option(map, "weight_decay", weight_decay_);
  detail::read_option(map, "initial_accumulator_value", initial_accumulator_value_);
  detail::read_option(map, "eps", eps_);
  detail::read_option(map, "maximize", maximize_);
}

void AdagradParamState::to_dict(OptimizerStateDict::ParamState& out) const {
  out.tensors["step"] = scalar_tensor(static_cast<double>(step_), kFloat);
  out.tensors["sum"] = detail::copy_of(sum_);
}

void AdagradParamState::from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) {
  step_ = detail::read_step(in);
  sum_ = detail::state_tensor_for(detail::find_tensor(in, "sum"), param);
}

namespace {

void check_adagrad(const AdagradOptions& o) {
  NABLA_CHECK(o.lr() >= 0, "Invalid learning rate: ", py_float(o.lr()));
  NABLA_CHECK(o.lr_decay() >= 0, "Invalid lr_decay value: ", py_float(o.lr_decay()));
  NABLA_CHECK(o.weight_decay() >= 0, "Invalid weight_decay value: ", py_float(o.weight_decay()));
  NABLA_CHECK(o.initial_accumulator_value() >= 0, "Invalid initial_accumulator_value value: ",
              py_float(o.initial_accumulator_value()));
  NABLA_CHECK(o.eps() >= 0, "Invalid epsilon value: ", py_float(o.eps()));
}

template <typename T>
void adagrad_update(T* param_data, const T* grad_data, T* state_sum, int64_t n, const AdagradOptions& o,
                    int64_t step) {
  const double clr = o.lr() / (1 + static_cast<double>(step - 1) * o.lr_decay());
  const bool maximize = o.maximize();
  const bool decay = o.weight_decay() != 0;
  const T wd = static_cast<T>(o.weight_decay());
  const T eps = static_cast<T>(o.eps());
  const T neg_clr = static_cast<T>(-clr);
  // Note [Vectorised sqrt] (optim/common.h): gr keeps the gradient, r the root's argument.
  detail::for_blocks(n, [=](int64_t b, int64_t e) {
    // Local copies: the compiler then knows that the stores below do not move the pointers.
    T* const p = param_data;
    const T* const g = grad_data;
    T* const sum = state_sum;
    T gr[detail::kBlock], r[detail::kBlock];
    for (int64_t i = b; i < e; ++i) {
      T grad = maximize ? -g[i] : g[i];
      if (decay) grad = std::fma(p[i], wd, grad);
      const T s = sum[i] + T(1) * grad * grad;
      sum[i] = s;
      gr[i - b] = grad;
      r[i - b] = s;
    }
    detail::sqrt_inplace(r, e - b);
    for (int64_t i = b; i < e; ++i) p[i] = p[i] + neg_clr * (gr[i - b] / (r[i - b] + eps));
  });
}

}  // namespace

Adagrad::Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<AdagradOptions>(defaults)) {
  check_adagrad(defaults);
  for (const auto& g : param_groups_) init_state(g);
}

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions defaults)
    : Optimizer(std::move(params), std::make_unique<AdagradOptions>(defaults)) {
  check_adagrad(defaults);
  for (const auto& g : param_groups_) init_state(g);
}

void Adagrad::init_state(const OptimizerParamGroup& group) {
  const double init = static_cast<const AdagradOptions&>(group.options()).initial_accumulator_value();
  for (const auto& p : group.params()) {
    auto& st = param_state<AdagradParamState>(p);
    st.step(0);
    st.sum(full(p.sizes(), init, p.options()));
  }
}

std::unique_ptr<OptimizerParamState> Adagrad::make_param_state() const {
  return std::make_unique<AdagradParamState>();
}

void Adagrad::check_options(const OptimizerOptions& options) const {
  check_adagrad(static_cast<const AdagradOptions&>(options));
}

void Adagrad::check_param_state(const OptimizerParamState& state, const Tensor& param, const OptimizerOptions&) const {
  detail::check_state_tensor(static_cast<const AdagradParamState&>(state).sum(), "sum", param);
}

Tensor Adagrad::step(LossClosure closure) {
  Tensor loss;
  if (closure) {
    AutoGradMode enable(true);
    loss = closure();
  }
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const AdagradOptions&>(group.options());
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor g = detail::dense_grad(p);
      auto& st = param_state<AdagradParamState>(p);
      if (!st.sum().defined()) st.sum(full(p.sizes(), o.initial_accumulator_value(), p.options()));
      st.step(st.step() + 1);
      detail::update_param(p, [&](const Tensor& work) {
        detail::dispatch_floating(p, [&](auto tag) {
          using T = decltype(tag);
          adagrad_update<T>(work.data_ptr<T>(), g.data_ptr<T>(), st.sum().data_ptr<T>(), p.numel(), o,
                            st.step());
        });
      });
    }
  }
  return loss;
}

}  // namespace nabla::optim
