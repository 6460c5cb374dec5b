// RMSprop: PyTorch 1.13's single-tensor algorithm (torch/optim/rmsprop.py,
// _single_tensor_rmsprop) as one fused loop per parameter.
#include <cmath>

#include <nabla/autograd.h>
#include <nabla/optim/rmsprop.h>

#include "optim/common.h"

namespace nabla::optim {

using detail::py_float;

RMSpropOptions::RMSpropOptions(double lr) : lr_(lr) {}

OptionMap RMSpropOptions::to_map() const {
  return {{"lr", lr_},          {"alpha", alpha_},       {"eps", eps_},
          {"weight_decay", weight_decay_}, {"momentum", momentum_}, {"centered", centered_},
          {"maximize", maximize_}};
}

void RMSpropOptions::from_map(const OptionMap& map) {
  detail::read_option(map, "lr", lr_);
  detail::read_option(map, "alpha", alpha_);
  detail::read_option(map, "eps", eps_);
  detail::read_option(map, "weight_decay", weight_decay_);
  detail::read_option(map, "momentum", momentum_);
  detail::read_option(map, "centered", centered_);
  detail::read_option(map, "maximize", maximize_);
}

void RMSpropParamState::to_dict(OptimizerStateDict::ParamState& out) const {
  out.values["step"] = step_;
  out.tensors["square_avg"] = detail::copy_of(square_avg_);
  if (momentum_buffer_.defined()) out.tensors["momentum_buffer"] = detail::copy_of(momentum_buffer_);
  if (grad_avg_.defined()) out.tensors["grad_avg"] = detail::copy_of(grad_avg_);
}

void RMSpropParamState::from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) {
  step_ = detail::read_step(in);
  square_avg_ = detail::state_tensor_for(detail::find_tensor(in, "square_avg"), param);
  momentum_buffer_ = detail::state_tensor_for(detail::find_tensor(in, "momentum_buffer"), param);
  grad_avg_ = detail::state_tensor_for(detail::find_tensor(in, "grad_avg"), param);
}

namespace {

void check_rmsprop(const RMSpropOptions& o) {
  NABLA_CHECK(o.lr() >= 0, "Invalid learning rate: ", py_float(o.lr()));
  NABLA_CHECK(o.eps() >= 0, "Invalid epsilon value: ", py_float(o.eps()));
  NABLA_CHECK(o.momentum() >= 0, "Invalid momentum value: ", py_float(o.momentum()));
  NABLA_CHECK(o.weight_decay() >= 0, "Invalid weight_decay value: ", py_float(o.weight_decay()));
  NABLA_CHECK(o.alpha() >= 0, "Invalid alpha value: ", py_float(o.alpha()));
}

template <typename T>
void rmsprop_update(T* param_data, const T* grad_data, T* square_avg, T* grad_avg, T* momentum_buffer,
                    int64_t n, const RMSpropOptions& o) {
  const bool maximize = o.maximize();
  const bool decay = o.weight_decay() != 0;
  const T wd = static_cast<T>(o.weight_decay());
  const T alpha = static_cast<T>(o.alpha());
  const T one_minus_alpha = static_cast<T>(1 - o.alpha());
  const T eps = static_cast<T>(o.eps());
  const T mom = static_cast<T>(o.momentum());
  const T neg_lr = static_cast<T>(-o.lr());
  // Note [Vectorised sqrt] (optim/common.h): gr keeps the gradient, r the root's argument.
  detail::for_blocks(n, [=](int64_t b, int64_t e) {
    // Local copies: the compiler then knows that the stores below do not move the pointers.
    T* const p = param_data;
    const T* const g = grad_data;
    T* const sq = square_avg;
    T* const gavg = grad_avg;
    T* const buf = momentum_buffer;
    T gr[detail::kBlock], r[detail::kBlock];
    for (int64_t i = b; i < e; ++i) {
      T grad = maximize ? -g[i] : g[i];
      if (decay) grad = std::fma(p[i], wd, grad);
      const T s = sq[i] * alpha + one_minus_alpha * grad * grad;
      sq[i] = s;
      gr[i - b] = grad;
      r[i - b] = s;
    }
    if (gavg) {
      for (int64_t i = b; i < e; ++i) {
        const T ga = std::fma(gr[i - b], one_minus_alpha, gavg[i] * alpha);
        gavg[i] = ga;
        r[i - b] = r[i - b] + T(-1) * ga * ga;
      }
    }
    detail::sqrt_inplace(r, e - b);
    if (buf) {
      for (int64_t i = b; i < e; ++i) {
        const T bi = buf[i] * mom + gr[i - b] / (r[i - b] + eps);
        buf[i] = bi;
        p[i] = std::fma(bi, neg_lr, p[i]);
      }
    } else {
      for (int64_t i = b; i < e; ++i) p[i] = p[i] + neg_lr * (gr[i - b] / (r[i - b] + eps));
    }
  });
}

}  // namespace

RMSprop::RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<RMSpropOptions>(defaults)) {
  check_rmsprop(defaults);
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions defaults)
    : Optimizer(std::move(params), std::make_unique<RMSpropOptions>(defaults)) {
  check_rmsprop(defaults);
}

std::unique_ptr<OptimizerParamState> RMSprop::make_param_state() const {
  return std::make_unique<RMSpropParamState>();
}

void RMSprop::check_options(const OptimizerOptions& options) const {
  check_rmsprop(static_cast<const RMSpropOptions&>(options));
}

void RMSprop::check_param_state(const OptimizerParamState& state, const Tensor& param, const OptimizerOptions&) const {
  const auto& st = static_cast<const RMSpropParamState&>(state);
  detail::check_state_tensor(st.square_avg(), "square_avg", param);
  detail::check_state_tensor(st.momentum_buffer(), "momentum_buffer", param);
  detail::check_state_tensor(st.grad_avg(), "grad_avg", param);
}

Tensor RMSprop::step(LossClosure closure) {
  Tensor loss;
  if (closure) {
    AutoGradMode enable(true);
    loss = closure();
  }
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const RMSpropOptions&>(group.options());
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor g = detail::dense_grad(p);
      auto& st = param_state<RMSpropParamState>(p);
      if (!st.square_avg().defined()) {
        st.step(0);
        st.square_avg(zeros(p.sizes(), p.options()));
      }
      if (o.momentum() > 0 && !st.momentum_buffer().defined()) {
        st.momentum_buffer(zeros(p.sizes(), p.options()));
      }
      if (o.centered() && !st.grad_avg().defined()) st.grad_avg(zeros(p.sizes(), p.options()));
      st.step(st.step() + 1);
      detail::update_param(p, [&](const Tensor& work) {
        detail::dispatch_floating(p, [&](auto tag) {
          using T = decltype(tag);
          rmsprop_update<T>(work.data_ptr<T>(), g.data_ptr<T>(), st.square_avg().data_ptr<T>(),
                            o.centered() ? st.grad_avg().data_ptr<T>() : nullptr,
                            o.momentum() > 0 ? st.momentum_buffer().data_ptr<T>() : nullptr,
                            p.numel(), o);
        });
      });
    }
  }
  return loss;
}

}  // namespace nabla::optim
