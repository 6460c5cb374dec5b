// state_dict / load_state_dict (PyTorch's structure, exact continuation) and LBFGS with a
// closure against torch.optim.LBFGS (fixed step and strong-Wolfe line search).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nabla/optim.h>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

std::vector<Tensor> clone_leaves(const std::vector<Tensor>& ps) {
  std::vector<Tensor> out;
  for (const auto& p : ps) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

// Gradient of a fixed loss: sum(c * p^3) + sum(p), so that steps differ in every state.
void set_grads(const std::vector<Tensor>& ps, int k) {
  for (size_t i = 0; i < ps.size(); ++i) {
    NoGradGuard g;
    Tensor(ps[i]).mutable_grad() = ps[i] * ps[i] * 0.3 + sample(ps[i].sizes(), ps[i].scalar_type(), 10 * k + static_cast<int>(i));
  }
}

using Factory = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

template <typename Opt, typename Options>
Factory factory(Options o) {
  return [o](std::vector<Tensor> p) { return std::make_unique<Opt>(std::move(p), o); };
}

}  // namespace

TEST(OptimState, RoundTripContinuesExactly) {
  std::vector<std::pair<std::string, Factory>> kinds = {
      {"sgd", factory<optim::SGD>(optim::SGDOptions(0.05).momentum(0.9).nesterov(true))},
      {"adam", factory<optim::Adam>(optim::AdamOptions(0.01).amsgrad(true))},
      {"adamw", factory<optim::AdamW>(optim::AdamWOptions(0.01))},
      {"rmsprop", factory<optim::RMSprop>(optim::RMSpropOptions(0.01).momentum(0.5).centered(true))},
      {"adagrad", factory<optim::Adagrad>(optim::AdagradOptions(0.1).lr_decay(0.01))},
  };
  for (auto dt : {kFloat, kDouble}) {
    for (const auto& [name, make] : kinds) {
      std::vector<Tensor> a = {sample({3, 2}, dt, 1).requires_grad_(), sample({4}, dt, 2).requires_grad_()};
      auto opt_a = make(a);
      for (int k = 0; k < 5; ++k) {
        set_grads(a, k);
        opt_a->step();
      }
      auto sd = opt_a->state_dict();
      auto b = clone_leaves(a);
      auto opt_b = make(b);
      opt_b->load_state_dict(sd);
      for (int k = 5; k < 12; ++k) {
        set_grads(a, k);
        set_grads(b, k);
        opt_a->step();
        opt_b->step();
      }
      for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].detach().equal(b[i].detach())) << name << " " << dt;
      // The saved dict is a snapshot: later steps did not change it.
      auto sd2 = opt_a->state_dict();
      EXPECT_FALSE(sd2.flat_tensors().begin()->second.equal(sd.flat_tensors().begin()->second)) << name;
    }
  }
}

TEST(OptimState, StructureMatchesTorch) {
  std::vector<Tensor> a = {sample({3, 2}, kDouble, 1).requires_grad_(), sample({4}, kDouble, 2).requires_grad_()};
  const auto init = clone_leaves(a);
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a[0]});
  groups.emplace_back(std::vector<Tensor>{a[1]}, std::make_unique<optim::AdamOptions>(optim::AdamOptions(0.02)));
  optim::Adam opt(groups, optim::AdamOptions(0.01).amsgrad(true));
  std::vector<Tensor> g;  // the gradients used, for PyTorch
  for (int k = 0; k < 3; ++k) {
    set_grads(a, k);
    g.push_back(a[0].grad().clone());
    g.push_back(a[1].grad().clone());
    opt.step();
  }
  auto sd = opt.state_dict();
  ASSERT_EQ(sd.param_groups.size(), 2u);
  EXPECT_EQ(sd.param_groups[1].params, std::vector<int64_t>{1});
  EXPECT_EQ(optim::option_double(sd.param_groups[1].options, "lr"), 0.02);
  EXPECT_EQ(optim::option_list(sd.param_groups[0].options, "betas"), (std::vector<double>{0.9, 0.999}));
  auto flat = sd.flat_tensors();
  for (const char* key : {"state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                          "state.1.exp_avg"}) {
    EXPECT_TRUE(flat.count(key)) << key;
  }
  // Same values under the same names in PyTorch's state_dict.
  auto ref = oracle::run(
      "p0 = w0.detach().clone().requires_grad_(); p1 = w1.detach().clone().requires_grad_()\n"
      "o = torch.optim.Adam([{'params': [p0]}, {'params': [p1], 'lr': 0.02, 'amsgrad': False}], lr=0.01,"
      " amsgrad=True, foreach=False)\n"
      "gs = [g0, g1, g2, g3, g4, g5]\n"
      "for k in range(3):\n"
      "    p0.grad = gs[2 * k].clone(); p1.grad = gs[2 * k + 1].clone(); o.step()\n"
      "s = o.state_dict()['state']\n"
      "out = (s[0]['step'], s[0]['exp_avg'], s[0]['exp_avg_sq'], s[0]['max_exp_avg_sq'], s[1]['exp_avg'],"
      " s[1]['step'])",
      {{"w0", init[0]}, {"w1", init[1]}, {"g0", g[0]}, {"g1", g[1]}, {"g2", g[2]}, {"g3", g[3]}, {"g4", g[4]},
       {"g5", g[5]}});
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_TRUE(same(flat["state.0.step"], ref.outputs[0]));
  EXPECT_TRUE(same(flat["state.0.exp_avg"], ref.outputs[1], 1e-12, 1e-14));
  EXPECT_TRUE(same(flat["state.0.exp_avg_sq"], ref.outputs[2], 1e-12, 1e-14));
  EXPECT_TRUE(same(flat["state.0.max_exp_avg_sq"], ref.outputs[3], 1e-12, 1e-14));
  EXPECT_TRUE(same(flat["state.1.exp_avg"], ref.outputs[4], 1e-12, 1e-14));
  EXPECT_TRUE(same(flat["state.1.step"], ref.outputs[5]));
}

TEST(OptimState, LoadRejectsMismatchedGroupsAndKeepsSchedulerEntries) {
  auto a = sample({3}, kFloat, 1).requires_grad_();
  auto b = sample({3}, kFloat, 2).requires_grad_();
  optim::SGD one(std::vector<Tensor>{a}, optim::SGDOptions(0.1).momentum(0.9));
  one.param_groups()[0].scheduler_values()["initial_lr"] = 0.1;
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a});
  groups.emplace_back(std::vector<Tensor>{b});
  optim::SGD two(groups, optim::SGDOptions(0.1));
  const std::string py = "a = torch.zeros(3, requires_grad=True); b = torch.zeros(3, requires_grad=True)\n"
                         "o1 = torch.optim.SGD([a], lr=0.1)\n";
  EXPECT_EQ(error_message([&] { two.load_state_dict(one.state_dict()); }),
            oracle::error_of(py + "o2 = torch.optim.SGD([{'params': [a]}, {'params': [b]}], lr=0.1)\n"
                                  "o2.load_state_dict(o1.state_dict())"));
  optim::SGD wider(std::vector<Tensor>{a, b}, optim::SGDOptions(0.1));
  EXPECT_EQ(error_message([&] { wider.load_state_dict(one.state_dict()); }),
            oracle::error_of(py + "o2 = torch.optim.SGD([a, b], lr=0.1)\no2.load_state_dict(o1.state_dict())"));
  optim::SGD other(std::vector<Tensor>{b}, optim::SGDOptions(0.5));
  other.load_state_dict(one.state_dict());
  const auto& o = static_cast<const optim::SGDOptions&>(other.param_groups()[0].options());
  EXPECT_EQ(o.lr(), 0.1);
  EXPECT_EQ(o.momentum(), 0.9);
  EXPECT_EQ(other.param_groups()[0].scheduler_values().at("initial_lr"), 0.1);
}

namespace {

// loss = sum((A x - y)^2) + 0.1 * sum(x^4): smooth, not quadratic.
const char* kLbfgsLoss = "((A @ x - y) ** 2).sum() + 0.1 * (x ** 4).sum()";

void check_lbfgs(ScalarType dt, const std::string& py_opts, const optim::LBFGSOptions& opts, int steps) {
  auto A = sample({6, 4}, dt, 3);
  auto y = sample({6}, dt, 4);
  auto x = sample({4}, dt, 5).requires_grad_();
  const Tensor x0 = x.detach().clone();
  optim::LBFGS opt(std::vector<Tensor>{x}, opts);
  std::vector<double> losses;
  for (int s = 0; s < steps; ++s) {
    Tensor loss = opt.step([&] {
      opt.zero_grad();
      auto r = A.matmul(x) - y;
      auto l = (r * r).sum() + 0.1 * (x * x * x * x).sum();
      l.backward();
      return l;
    });
    losses.push_back(loss.item<double>());
  }
  auto sd = opt.state_dict();
  auto ref = oracle::run(
      std::string("x = x0.clone().requires_grad_()\n"
                  "o = torch.optim.LBFGS([x], ") + py_opts + ")\n"
      "def closure():\n"
      "    o.zero_grad()\n"
      "    l = " + kLbfgsLoss + "\n"
      "    l.backward()\n"
      "    return l\n"
      "losses = [float(o.step(closure)) for _ in range(" + std::to_string(steps) + ")]\n"
      "st = o.state_dict()['state'][0]\n"
      "out = (x, torch.tensor(losses, dtype=torch.float64), st['func_evals'], st['n_iter'])",
      {{"x0", x0}, {"A", A}, {"y", y}});
  ASSERT_TRUE(ref.ok) << ref.error;
  const double rtol = dt == kDouble ? 1e-10 : 1e-4;
  EXPECT_TRUE(same(x.detach(), ref.outputs[0], rtol, rtol)) << py_opts << " " << dt;
  EXPECT_TRUE(nabla::testing::close_values(tensor(losses, kDouble), ref.outputs[1], rtol, rtol)) << py_opts;
  if (dt == kDouble) {
    EXPECT_EQ(optim::option_int(sd.state.at(0).values, "func_evals"), ref.outputs[2].item<int64_t>()) << py_opts;
    EXPECT_EQ(optim::option_int(sd.state.at(0).values, "n_iter"), ref.outputs[3].item<int64_t>()) << py_opts;
  }
}

}  // namespace

TEST(OptimLBFGS, FixedStepMatchesTorch) {
  for (auto dt : {kDouble, kFloat}) {
    check_lbfgs(dt, "lr=0.5, max_iter=8", optim::LBFGSOptions(0.5).max_iter(8), 3);
    check_lbfgs(dt, "lr=1, max_iter=5, history_size=2", optim::LBFGSOptions(1).max_iter(5).history_size(2), 4);
  }
}

TEST(OptimLBFGS, StrongWolfeMatchesTorch) {
  for (auto dt : {kDouble, kFloat}) {
    check_lbfgs(dt, "lr=1, max_iter=10, line_search_fn='strong_wolfe'",
                optim::LBFGSOptions(1).max_iter(10).line_search_fn("strong_wolfe"), 3);
    check_lbfgs(dt, "lr=1, max_iter=20, history_size=3, line_search_fn='strong_wolfe'",
                optim::LBFGSOptions(1).max_iter(20).history_size(3).line_search_fn("strong_wolfe"), 2);
  }
}

TEST(OptimLBFGS, StateRoundTripAndErrors) {
  auto A = sample({5, 3}, kDouble, 3);
  auto x = sample({3}, kDouble, 5).requires_grad_();
  auto x2 = x.detach().clone().requires_grad_();
  auto make_closure = [&](optim::LBFGS& o, Tensor& v) {
    return [&o, &v, &A] {
      o.zero_grad();
      auto l = (A.matmul(v) * A.matmul(v)).sum() + (v * v * v * v).sum();
      l.backward();
      return l;
    };
  };
  auto opts = optim::LBFGSOptions(1).max_iter(3).line_search_fn("strong_wolfe");
  optim::LBFGS a(std::vector<Tensor>{x}, opts);
  a.step(make_closure(a, x));
  {
    NoGradGuard g;
    x2.copy_(x);
  }
  optim::LBFGS b(std::vector<Tensor>{x2}, opts);
  b.load_state_dict(a.state_dict());
  a.step(make_closure(a, x));
  b.step(make_closure(b, x2));
  EXPECT_TRUE(x.detach().equal(x2.detach()));
  EXPECT_EQ(optim::option_int(a.state_dict().param_groups[0].options, "max_eval"), 3);

  auto p = zeros({2}, TensorOptions().requires_grad(true));
  auto q = zeros({2}, TensorOptions().requires_grad(true));
  std::vector<optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{p});
  groups.emplace_back(std::vector<Tensor>{q});
  EXPECT_EQ(error_message([&] { optim::LBFGS(groups, optim::LBFGSOptions()); }),
            oracle::error_of("p = torch.zeros(2, requires_grad=True); q = torch.zeros(2, requires_grad=True)\n"
                             "torch.optim.LBFGS([{'params': [p]}, {'params': [q]}])"));
  optim::LBFGS bad(std::vector<Tensor>{p}, optim::LBFGSOptions().line_search_fn("armijo"));
  EXPECT_EQ(error_message([&] {
              bad.step([&] {
                auto l = (p * p).sum() + (p * 3).sum();
                bad.zero_grad();
                l.backward();
                return l;
              });
            }),
            oracle::error_of("p = torch.zeros(2, requires_grad=True)\n"
                             "o = torch.optim.LBFGS([p], line_search_fn='armijo')\n"
                             "def c():\n    o.zero_grad(); l = (p * p).sum() + (p * 3).sum(); l.backward(); return l\n"
                             "o.step(c)"));
}
