// SGD: PyTorch 1.13's single-tensor algorithm (torch/optim/sgd.py, _single_tensor_sgd) as one
// fused loop per parameter, each operation rounded in the parameter's dtype as PyTorch does.
#include <cmath>

#include <nabla/autograd.h>
#include <nabla/optim/sgd.h>

#include "optim/common.h"

namespace nabla::optim {

using detail::py_float;

SGDOptions::SGDOptions(double lr) : lr_(lr) {}

OptionMap SGDOptions::to_map() const {
  return {{"lr", lr_},
          {"momentum", momentum_},
          {"dampening", dampening_},
          {"weight_decay", weight_decay_},
          {"nesterov", nesterov_},
          {"maximize", maximize_}};
}

void SGDOptions::from_map(const OptionMap& map) {
  detail::read_option(map, "lr", lr_);
  detail::read_option(map, "momentum", momentum_);
  detail::read_option(map, "dampening", dampening_);
  detail::read_option(map, "weight_decay", weight_decay_);
  detail::read_option(map, "nesterov", nesterov_);
  detail::read_option(map, "maximize", maximize_);
}

void SGDParamState::to_dict(OptimizerStateDict::ParamState& out) const {
  // PyTorch stores momentum_buffer as None before the first step with momentum.
  if (momentum_buffer_.defined()) {
    out.tensors["momentum_buffer"] = detail::copy_of(momentum_buffer_);
  } else {
    out.values["momentum_buffer"] = std::monostate{};
  }
}

void SGDParamState::from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) {
  momentum_buffer_ = detail::state_tensor_for(detail::find_tensor(in, "momentum_buffer"), param);
}

namespace {

void check_sgd(const SGDOptions& o) {
  NABLA_CHECK(o.lr() >= 0, "Invalid learning rate: ", py_float(o.lr()));
  NABLA_CHECK(o.momentum() >= 0, "Invalid momentum value: ", py_float(o.momentum()));
  NABLA_CHECK(o.weight_decay() >= 0, "Invalid weight_decay value: ", py_float(o.weight_decay()));
  NABLA_CHECK(!o.nesterov() || (o.momentum() > 0 && o.dampening() == 0),
              "Nesterov momentum requires a momentum and zero dampening");
}

// One parameter's update. `first` is true when the momentum buffer is created by this step
// (PyTorch: buf = clone(d_p)).
template <typename T>
void sgd_update(T* p, const T* g, T* buf, int64_t n, const SGDOptions& o, bool first) {
  const bool maximize = o.maximize();
  const bool decay = o.weight_decay() != 0;
  const T wd = static_cast<T>(o.weight_decay());
  const T mom = static_cast<T>(o.momentum());
  const T one_minus_damp = static_cast<T>(1 - o.dampening());
  const T neg_lr = static_cast<T>(-o.lr());
  const bool nesterov = o.nesterov();
  detail::for_chunks(n, [&](int64_t b, int64_t e) {
    if (!buf) {
      for (int64_t i = b; i < e; ++i) {
        T d = maximize ? -g[i] : g[i];
        if (decay) d = std::fma(p[i], wd, d);
        p[i] = std::fma(d, neg_lr, p[i]);
      }
      return;
    }
    for (int64_t i = b; i < e; ++i) {
      T d = maximize ? -g[i] : g[i];
      if (decay) d = std::fma(p[i], wd, d);
      const T m = first ? d : std::fma(d, one_minus_damp, buf[i] * mom);
      buf[i] = m;
      d = nesterov ? std::fma(m, mom, d) : m;
      p[i] = std::fma(d, neg_lr, p[i]);
    }
  });
}

}  // namespace

SGD::SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<SGDOptions>(defaults)) {
  check_sgd(defaults);
}

SGD::SGD(std::vector<Tensor> params, SGDOptions defaults)
    : Optimizer(std::move(params), std::make_unique<SGDOptions>(defaults)) {
  check_sgd(defaults);
}

std::unique_ptr<OptimizerParamState> SGD::make_param_state() const {
  return std::make_unique<SGDParamState>();
}

void SGD::check_options(const OptimizerOptions& options) const { check_sgd(static_cast<const SGDOptions&>(options)); }

void SGD::check_param_state(const OptimizerParamState& state, const Tensor& param, const OptimizerOptions&) const {
  detail::check_state_tensor(static_cast<const SGDParamState&>(state).momentum_buffer(), "momentum_buffer", param);
}

Tensor SGD::step(LossClosure closure) {
  Tensor loss;
  if (closure) {
    AutoGradMode enable(true);
    loss = closure();
  }
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const SGDOptions&>(group.options());
    for (const auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor g = detail::dense_grad(p);
      auto& st = param_state<SGDParamState>(p);
      bool first = false;
      if (o.momentum() != 0 && !st.momentum_buffer().defined()) {
        st.momentum_buffer(empty(p.sizes(), p.options()));
        first = true;
      }
      Tensor buf = o.momentum() != 0 ? st.momentum_buffer() : Tensor();
      detail::update_param(p, [&](const Tensor& work) {
        detail::dispatch_floating(p, [&](auto tag) {
          using T = decltype(tag);
          sgd_update<T>(work.data_ptr<T>(), g.data_ptr<T>(), buf.defined() ? buf.data_ptr<T>() : nullptr,
                        p.numel(), o, first);
        });
      });
    }
  }
  return loss;
}

}  // namespace nabla::optim
