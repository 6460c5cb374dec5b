// SGD, Adam, AdamW, RMSprop, Adagrad against torch.optim (PyTorch 1.13, foreach=False): 20
// steps from the same weights with the same gradients, several option combinations, float32
// and float64; parameter groups; non-contiguous parameters; zero_grad; error messages.
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

constexpr int kSteps = 20;

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

struct Case {
  std::string name;
  MakeOptimizer make;
  std::string python;  // torch.optim constructor call with `params`
};

// float64 agrees to a few ulps per step; float32 to float rounding.
::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  if (a.scalar_type() == kFloat) return same(a, e, 2e-5, 1e-6);
  return same(a, e, 1e-12, 1e-14);
}

// The gradient sequence: step k gets grads[i][k] for parameter i.
std::vector<Tensor> gradient_stacks(const std::vector<Tensor>& params, ScalarType dt) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < params.size(); ++i) {
    DimVector shape{kSteps};
    for (auto s : params[i].sizes()) shape.push_back(s);
    out.push_back(sample(shape, dt, 50 + static_cast<int>(i)));
  }
  return out;
}

std::vector<Tensor> make_params(ScalarType dt) {
  return {sample({4, 3}, dt, 1).requires_grad_(), sample({5}, dt, 2).requires_grad_()};
}

// Runs kSteps steps of `opt` with the gradient stacks.
void run_steps(optim::Optimizer& opt, const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               int from, int to) {
  for (int k = from; k < to; ++k) {
    for (size_t i = 0; i < params.size(); ++i) Tensor(params[i]).mutable_grad() = grads[i][k].clone();
    opt.step();
  }
}

// The same in PyTorch: returns the final parameters.
oracle::Result torch_run(const std::string& ctor, const std::vector<Tensor>& init, const std::vector<Tensor>& grads,
                         const std::string& extra_out = "") {
  oracle::Inputs in = {{"w0", init[0]}, {"w1", init[1]}, {"g0", grads[0]}, {"g1", grads[1]}};
  const std::string code =
      "p0 = w0.detach().clone().requires_grad_(); p1 = w1.detach().clone().requires_grad_()\n"
      "params = [p0, p1]\n"
      "opt = " + ctor + "\n"
      "for k in range(" + std::to_string(kSteps) + "):\n"
      "    p0.grad = g0[k].clone(); p1.grad = g1[k].clone()\n"
      "    opt.step()\n"
      "out = (p0, p1" + extra_out + ")\n";
  return oracle::run(code, in);
}

void check_case(const Case& c, ScalarType dt) {
  auto params = make_params(dt);
  std::vector<Tensor> init = {params[0].detach().clone(), params[1].detach().clone()};
  auto grads = gradient_stacks(params, dt);
  auto opt = c.make(params);
  run_steps(*opt, params, grads, 0, kSteps);
  auto ref = torch_run(c.python, init, grads);
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_TRUE(close(params[0].detach(), ref.outputs[0])) << c.name << " " << dt;
  EXPECT_TRUE(close(params[1].detach(), ref.outputs[1])) << c.name << " " << dt;
}

template <typename Opt, typename Options>
MakeOptimizer maker(Options o) {
  return [o](std::vector<Tensor> p) { return std::make_unique<Opt>(std::move(p), o); };
}

}  // namespace

TEST(Optim, SGDMatchesTorch) {
  using optim::SGD;
  using optim::SGDOptions;
  std::vector<Case> cases = {
      {"plain", maker<SGD>(SGDOptions(0.1)), "torch.optim.SGD(params, lr=0.1, foreach=False)"},
      {"momentum", maker<SGD>(SGDOptions(0.05).momentum(0.9)),
       "torch.optim.SGD(params, lr=0.05, momentum=0.9, foreach=False)"},
      {"dampening+wd", maker<SGD>(SGDOptions(0.05).momentum(0.8).dampening(0.3).weight_decay(0.01)),
       "torch.optim.SGD(params, lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01, foreach=False)"},
      {"nesterov+maximize", maker<SGD>(SGDOptions(0.02).momentum(0.9).nesterov(true).maximize(true)),
       "torch.optim.SGD(params, lr=0.02, momentum=0.9, nesterov=True, maximize=True, foreach=False)"},
  };
  for (const auto& c : cases) {
    for (auto dt : {kFloat, kDouble}) check_case(c, dt);
  }
}

TEST(Optim, AdamAndAdamWMatchTorch) {
  using optim::Adam;
  using optim::AdamOptions;
  using optim::AdamW;
  using optim::AdamWOptions;
  std::vector<Case> cases = {
      {"adam", maker<Adam>(AdamOptions(0.01)), "torch.optim.Adam(params, lr=0.01, foreach=False)"},
      {"adam betas+wd", maker<Adam>(AdamOptions(0.02).betas({0.8, 0.99}).eps(1e-6).weight_decay(0.1)),
       "torch.optim.Adam(params, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, foreach=False)"},
      {"adam amsgrad+maximize", maker<Adam>(AdamOptions(0.01).amsgrad(true).maximize(true)),
       "torch.optim.Adam(params, lr=0.01, amsgrad=True, maximize=True, foreach=False)"},
      {"adamw", maker<AdamW>(AdamWOptions(0.01)), "torch.optim.AdamW(params, lr=0.01, foreach=False)"},
      {"adamw wd+amsgrad", maker<AdamW>(AdamWOptions(0.03).weight_decay(0.2).amsgrad(true).betas({0.5, 0.9})),
       "torch.optim.AdamW(params, lr=0.03, weight_decay=0.2, amsgrad=True, betas=(0.5, 0.9), foreach=False)"},
      {"adamw maximize", maker<AdamW>(AdamWOptions(0.01).maximize(true)),
       "torch.optim.AdamW(params, lr=0.01, maximize=True, foreach=False)"},
  };
  for (const auto& c : cases) {
    for (auto dt : {kFloat, kDouble}) check_case(c, dt);
  }
}

TEST(Optim, RMSpropMatchesTorch) {
  using optim::RMSprop;
  using optim::RMSpropOptions;
  std::vector<Case> cases = {
      {"plain", maker<RMSprop>(RMSpropOptions(0.01)), "torch.optim.RMSprop(params, lr=0.01, foreach=False)"},
      {"centered+momentum", maker<RMSprop>(RMSpropOptions(0.01).centered(true).momentum(0.9).alpha(0.9)),
       "torch.optim.RMSprop(params, lr=0.01, centered=True, momentum=0.9, alpha=0.9, foreach=False)"},
      {"wd+eps+maximize", maker<RMSprop>(RMSpropOptions(0.005).weight_decay(0.1).eps(1e-4).maximize(true)),
       "torch.optim.RMSprop(params, lr=0.005, weight_decay=0.1, eps=1e-4, maximize=True, foreach=False)"},
  };
  for (const auto& c : cases) {
    for (auto dt : {kFloat, kDouble}) check_case(c, dt);
  }
}

TEST(Optim, AdagradMatchesTorch) {
  using optim::Adagrad;
  using optim::AdagradOptions;
  std::vector<Case> cases = {
      {"plain", maker<Adagrad>(AdagradOptions(0.1)), "torch.optim.Adagrad(params, lr=0.1, foreach=False)"},
      {"decay+init", maker<Adagrad>(AdagradOptions(0.1).lr_decay(0.05).initial_accumulator_value(0.3).eps(1e-6)),
       "torch.optim.Adagrad(params, lr=0.1, lr_decay=0.05, initial_accumulator_value=0.3, eps=1e-6, foreach=False)"},
      {"wd+maximize", maker<Adagrad>(AdagradOptions(0.05).weight_decay(0.2).maximize(true)),
       "torch.optim.Adagrad(params, lr=0.05, weight_decay=0.2, maximize=True, foreach=False)"},
  };
  for (const auto& c : cases) {
    for (auto dt : {kFloat, kDouble}) check_case(c, dt);
  }
}

TEST(Optim, ParamGroupsWithDifferentOptions) {
  for (auto dt : {kFloat, kDouble}) {
    auto params = make_params(dt);
    std::vector<Tensor> init = {params[0].detach().clone(), params[1].detach().clone()};
    auto grads = gradient_stacks(params, dt);
    std::vector<optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<Tensor>{params[0]});
    groups.emplace_back(std::vector<Tensor>{params[1]},
                        std::make_unique<optim::AdamOptions>(optim::AdamOptions(0.05).betas({0.7, 0.9})));
    optim::Adam opt(groups, optim::AdamOptions(0.01).weight_decay(0.1));
    ASSERT_EQ(opt.param_groups().size(), 2u);
    EXPECT_EQ(opt.param_groups()[0].options().get_lr(), 0.01);
    run_steps(opt, params, grads, 0, kSteps);
    auto ref = torch_run(
        "torch.optim.Adam([{'params': [p0]}, {'params': [p1], 'lr': 0.05, 'betas': (0.7, 0.9), 'weight_decay': 0}],"
        " lr=0.01, weight_decay=0.1, foreach=False)",
        init, grads);
    ASSERT_TRUE(ref.ok) << ref.error;
    EXPECT_TRUE(close(params[0].detach(), ref.outputs[0])) << dt;
    EXPECT_TRUE(close(params[1].detach(), ref.outputs[1])) << dt;
  }
}

TEST(Optim, AddParamGroupLaterAndSkipsParamsWithoutGrad) {
  auto a = sample({3}, kDouble, 1).requires_grad_();
  auto b = sample({3}, kDouble, 2).requires_grad_();
  optim::SGD opt(std::vector<Tensor>{a}, optim::SGDOptions(0.1).momentum(0.5));
  opt.add_param_group(optim::OptimizerParamGroup({b}, std::make_unique<optim::SGDOptions>(0.2)));
  EXPECT_EQ(opt.size(), 2u);
  const Tensor b0 = b.detach().clone();
  a.mutable_grad() = ones({3}, kDouble);
  opt.step();
  EXPECT_TRUE(b.detach().equal(b0));  // no gradient: untouched
  b.mutable_grad() = ones({3}, kDouble);
  opt.step();
  EXPECT_TRUE(same(b.detach(), b0 - 0.2));
  EXPECT_EQ(error_message([&] { opt.add_param_group(optim::OptimizerParamGroup({a})); }),
            oracle::error_of("a = torch.zeros(3, requires_grad=True)\n"
                             "o = torch.optim.SGD([a], lr=0.1)\no.add_param_group({'params': [a]})"));
}

TEST(Optim, NonContiguousParameterIsUpdatedInPlace) {
  auto base = sample({3, 4}, kDouble, 3);
  auto p = base.t().requires_grad_();  // a leaf with transposed strides
  ASSERT_FALSE(p.is_contiguous());
  const Tensor p0 = p.detach().clone();
  const auto version = p._version();
  optim::Adam opt(std::vector<Tensor>{p}, optim::AdamOptions(0.1));
  auto g = sample({4, 3}, kDouble, 4);
  p.mutable_grad() = g;
  opt.step();
  EXPECT_GT(p._version(), version);
  EXPECT_FALSE(p.is_contiguous());
  auto ref = oracle::run("p = p0.clone().requires_grad_(); o = torch.optim.Adam([p], lr=0.1, foreach=False)\n"
                         "p.grad = g.clone(); o.step(); out = p",
                         {{"p0", p0}, {"g", g}});
  EXPECT_TRUE(close(p.detach(), ref.tensor()));
}

TEST(Optim, ZeroGrad) {
  auto a = sample({3}, kFloat, 1).requires_grad_();
  optim::SGD opt(std::vector<Tensor>{a}, optim::SGDOptions(0.1));
  (a * a).sum().backward();
  ASSERT_TRUE(a.grad().defined());
  opt.zero_grad(false);
  ASSERT_TRUE(a.grad().defined());
  EXPECT_TRUE(a.grad().equal(zeros({3})));
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

TEST(Optim, StepWithClosureReturnsLoss) {
  auto a = sample({3}, kDouble, 1).requires_grad_();
  optim::SGD opt(std::vector<Tensor>{a}, optim::SGDOptions(0.1));
  const Tensor a0 = a.detach().clone();
  Tensor loss = opt.step([&] {
    opt.zero_grad();
    auto l = (a * a).sum();
    l.backward();
    return l;
  });
  EXPECT_TRUE(same(loss.detach(), (a0 * a0).sum()));
  EXPECT_TRUE(same(a.detach(), a0 - 0.1 * (2 * a0)));
  EXPECT_FALSE(opt.step().defined());
}

TEST(Optim, ErrorMessages) {
  auto p = zeros({2}, TensorOptions().requires_grad(true));
  std::vector<Tensor> ps{p};
  const std::string pre = "p = torch.zeros(2, requires_grad=True)\n";
  auto expect = [&](const std::function<void()>& fn, const std::string& py) {
    EXPECT_EQ(error_message(fn), oracle::error_of(pre + py)) << py;
  };
  expect([&] { optim::SGD(ps, optim::SGDOptions(-1)); }, "torch.optim.SGD([p], lr=-1.0)");
  expect([&] { optim::SGD(ps, optim::SGDOptions(0.1).momentum(-0.5)); }, "torch.optim.SGD([p], lr=0.1, momentum=-0.5)");
  expect([&] { optim::SGD(ps, optim::SGDOptions(0.1).weight_decay(-1e-5)); },
         "torch.optim.SGD([p], lr=0.1, weight_decay=-1e-5)");
  expect([&] { optim::SGD(ps, optim::SGDOptions(0.1).nesterov(true)); }, "torch.optim.SGD([p], lr=0.1, nesterov=True)");
  expect([&] { optim::SGD(ps, optim::SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)); },
         "torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)");
  expect([&] { optim::Adam(ps, optim::AdamOptions(-0.001)); }, "torch.optim.Adam([p], lr=-0.001)");
  expect([&] { optim::Adam(ps, optim::AdamOptions().eps(-1e-8)); }, "torch.optim.Adam([p], eps=-1e-8)");
  expect([&] { optim::Adam(ps, optim::AdamOptions().betas({1.0, 0.9})); }, "torch.optim.Adam([p], betas=(1.0, 0.9))");
  expect([&] { optim::AdamW(ps, optim::AdamWOptions().betas({0.9, -0.1})); }, "torch.optim.AdamW([p], betas=(0.9, -0.1))");
  expect([&] { optim::AdamW(ps, optim::AdamWOptions().weight_decay(-2)); }, "torch.optim.AdamW([p], weight_decay=-2.0)");
  expect([&] { optim::RMSprop(ps, optim::RMSpropOptions().alpha(-0.5)); }, "torch.optim.RMSprop([p], alpha=-0.5)");
  expect([&] { optim::RMSprop(ps, optim::RMSpropOptions().momentum(-1)); }, "torch.optim.RMSprop([p], momentum=-1.0)");
  expect([&] { optim::Adagrad(ps, optim::AdagradOptions().lr_decay(-1)); }, "torch.optim.Adagrad([p], lr_decay=-1.0)");
  expect([&] { optim::Adagrad(ps, optim::AdagradOptions().initial_accumulator_value(-0.25)); },
         "torch.optim.Adagrad([p], initial_accumulator_value=-0.25)");
  expect([&] { optim::Adagrad(ps, optim::AdagradOptions().eps(-1e-10)); }, "torch.optim.Adagrad([p], eps=-1e-10)");
  expect([&] { optim::SGD(std::vector<Tensor>{}, optim::SGDOptions(0.1)); }, "torch.optim.SGD([], lr=0.1)");
  auto nonleaf = p * 2;
  expect([&] { optim::SGD(std::vector<Tensor>{nonleaf}, optim::SGDOptions(0.1)); }, "torch.optim.SGD([p * 2], lr=0.1)");
  expect([&] { optim::SGD(std::vector<Tensor>{p, p}, optim::SGDOptions(0.1)).add_param_group({{p}}); },
         "o = torch.optim.SGD([p], lr=0.1); o.add_param_group({'params': [p]})");
}
