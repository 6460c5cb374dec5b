// LR schedulers against torch.optim.lr_scheduler: the learning rates (and cycled momenta)
// of two parameter groups over 100 steps, compared to float64 rounding; combinations
// (SequentialLR, ChainedScheduler), ReduceLROnPlateau on a given metric sequence,
// state_dict round trips and error messages.
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nabla/optim.h>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;

namespace {

constexpr int kSteps = 100;

// Two groups: lr 0.1 and 0.05, momentum 0.9 (SGD) or betas (0.9, 0.999) (Adam).
struct Rig {
  Tensor p0 = zeros({1}, TensorOptions().requires_grad(true));
  Tensor p1 = zeros({1}, TensorOptions().requires_grad(true));
  std::unique_ptr<optim::Optimizer> opt;
  explicit Rig(bool adam = false) {
    std::vector<optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<Tensor>{p0});
    if (adam) {
      groups.emplace_back(std::vector<Tensor>{p1}, std::make_unique<optim::AdamOptions>(0.05));
      opt = std::make_unique<optim::Adam>(groups, optim::AdamOptions(0.1));
    } else {
      groups.emplace_back(std::vector<Tensor>{p1},
                          std::make_unique<optim::SGDOptions>(optim::SGDOptions(0.05).momentum(0.9)));
      opt = std::make_unique<optim::SGD>(groups, optim::SGDOptions(0.1).momentum(0.9));
    }
  }
  std::vector<double> momenta() const {
    std::vector<double> m;
    for (const auto& g : opt->param_groups()) m.push_back(g.options().get_momentum());
    return m;
  }
};

const std::string kPySetup =
    "import warnings\nwarnings.simplefilter('ignore')\nfrom torch.optim import lr_scheduler as L\n"
    "p0 = torch.zeros(1, requires_grad=True); p1 = torch.zeros(1, requires_grad=True)\n";
const std::string kPySgd =
    "opt = torch.optim.SGD([{'params': [p0]}, {'params': [p1], 'lr': 0.05}], lr=0.1, momentum=0.9)\n"
    "mom = lambda: [g['momentum'] for g in opt.param_groups]\n";
const std::string kPyAdam =
    "opt = torch.optim.Adam([{'params': [p0]}, {'params': [p1], 'lr': 0.05}], lr=0.1)\n"
    "mom = lambda: [g['betas'][0] for g in opt.param_groups]\n";

// Runs the Python schedule: `setup` defines `sched` (and `metric(k)` for plateau), `step`
// advances it. Returns (lrs [101 x 2], momenta [101 x 2]).
oracle::Result torch_schedule(const std::string& setup, bool adam = false, const std::string& step = "sched.step()") {
  const std::string code = kPySetup + (adam ? kPyAdam : kPySgd) + setup +
                           "\nlrs = [[g['lr'] for g in opt.param_groups]]; moms = [mom()]\n"
                           "for k in range(" + std::to_string(kSteps) + "):\n"
                           "    opt.step()\n"
                           "    " + step + "\n"
                           "    lrs.append([g['lr'] for g in opt.param_groups]); moms.append(mom())\n"
                           "out = (torch.tensor(lrs, dtype=torch.float64), torch.tensor(moms, dtype=torch.float64),"
                           " torch.tensor(getattr(sched, 'get_last_lr', lambda: sched._last_lr)(), dtype=torch.float64))\n";
  return oracle::run(code);
}

// Float64 agreement: the same operations in the same order, up to an ulp or two of libm.
void expect_close(const std::vector<std::vector<double>>& got, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(expected.size(0), static_cast<int64_t>(got.size())) << what;
  auto e = expected.contiguous();
  const double* ep = e.data_ptr<double>();
  for (size_t k = 0; k < got.size(); ++k) {
    for (size_t g = 0; g < got[k].size(); ++g) {
      const double ev = ep[k * got[k].size() + g];
      ASSERT_NEAR(got[k][g], ev, 4e-16 * std::abs(ev) + 1e-300) << what << " step " << k << " group " << g;
    }
  }
}

template <typename StepFn>
void compare(Rig& s, const std::string& python, StepFn step, bool adam = false, bool check_momentum = false,
             const std::string& py_step = "sched.step()") {
  std::vector<std::vector<double>> lrs, moms;
  auto record = [&] {
    std::vector<double> l;
    for (const auto& g : s.opt->param_groups()) l.push_back(g.options().get_lr());
    lrs.push_back(l);
    if (check_momentum) moms.push_back(s.momenta());
  };
  record();
  for (int k = 0; k < kSteps; ++k) {
    s.opt->step();
    step(k);
    record();
  }
  auto ref = torch_schedule(python, adam, py_step);
  ASSERT_TRUE(ref.ok) << ref.error;
  expect_close(lrs, ref.outputs[0], python);
  if (check_momentum) expect_close(moms, ref.outputs[1], python + " (momentum)");
}

template <typename S>
void compare_scheduler(const std::string& python, const std::function<std::shared_ptr<S>(optim::Optimizer&)>& make,
                       bool adam = false, bool check_momentum = false) {
  Rig s(adam);
  auto sched = make(*s.opt);
  compare(s, python, [&](int) { sched->step(); }, adam, check_momentum);
  auto ref = torch_schedule(python, adam);
  expect_close({sched->get_last_lr()}, ref.outputs[2].unsqueeze(0), python + " get_last_lr");
}

}  // namespace

TEST(Schedulers, ClosedFormFamiliesMatchTorch) {
  using namespace optim;
  compare_scheduler<StepLR>("sched = L.StepLR(opt, step_size=7, gamma=0.5)",
                            [](Optimizer& o) { return std::make_shared<StepLR>(o, 7, 0.5); });
  compare_scheduler<MultiStepLR>("sched = L.MultiStepLR(opt, milestones=[10, 30, 30, 75], gamma=0.3)",
                                 [](Optimizer& o) { return std::make_shared<MultiStepLR>(o, std::vector<int64_t>{30, 10, 30, 75}, 0.3); });
  compare_scheduler<ExponentialLR>("sched = L.ExponentialLR(opt, gamma=0.97)",
                                   [](Optimizer& o) { return std::make_shared<ExponentialLR>(o, 0.97); });
  compare_scheduler<ConstantLR>("sched = L.ConstantLR(opt, factor=0.3, total_iters=12)",
                                [](Optimizer& o) { return std::make_shared<ConstantLR>(o, 0.3, 12); });
  compare_scheduler<LinearLR>("sched = L.LinearLR(opt, start_factor=0.1, end_factor=0.9, total_iters=30)",
                              [](Optimizer& o) { return std::make_shared<LinearLR>(o, 0.1, 0.9, 30); });
  compare_scheduler<LinearLR>("sched = L.LinearLR(opt)", [](Optimizer& o) { return std::make_shared<LinearLR>(o); });
  compare_scheduler<PolynomialLR>("sched = L.PolynomialLR(opt, total_iters=60, power=2.5)",
                                  [](Optimizer& o) { return std::make_shared<PolynomialLR>(o, 60, 2.5); });
  compare_scheduler<CosineAnnealingLR>("sched = L.CosineAnnealingLR(opt, T_max=30, eta_min=0.001)",
                                       [](Optimizer& o) { return std::make_shared<CosineAnnealingLR>(o, 30, 0.001); });
}

TEST(Schedulers, LambdaAndMultiplicativeMatchTorch) {
  using namespace optim;
  compare_scheduler<LambdaLR>("sched = L.LambdaLR(opt, lambda e: 0.95 ** e)", [](Optimizer& o) {
    return std::make_shared<LambdaLR>(o, [](int64_t e) { return std::pow(0.95, static_cast<double>(e)); });
  });
  compare_scheduler<LambdaLR>("sched = L.LambdaLR(opt, [lambda e: 1.0 / (e + 1), lambda e: e // 10 + 0.5])",
                              [](Optimizer& o) {
                                return std::make_shared<LambdaLR>(
                                    o, std::vector<LambdaLR::Lambda>{
                                           [](int64_t e) { return 1.0 / static_cast<double>(e + 1); },
                                           [](int64_t e) { return static_cast<double>(e / 10) + 0.5; }});
                              });
  compare_scheduler<MultiplicativeLR>("sched = L.MultiplicativeLR(opt, lambda e: 0.98)", [](Optimizer& o) {
    return std::make_shared<MultiplicativeLR>(o, [](int64_t) { return 0.98; });
  });
}

TEST(Schedulers, WarmRestartsCyclicOneCycleMatchTorch) {
  using namespace optim;
  compare_scheduler<CosineAnnealingWarmRestarts>(
      "sched = L.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=0.002)",
      [](Optimizer& o) { return std::make_shared<CosineAnnealingWarmRestarts>(o, 10, 2, 0.002); });
  compare_scheduler<CosineAnnealingWarmRestarts>(
      "sched = L.CosineAnnealingWarmRestarts(opt, T_0=7)",
      [](Optimizer& o) { return std::make_shared<CosineAnnealingWarmRestarts>(o, 7); });
  compare_scheduler<CyclicLR>(
      "sched = L.CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=7, step_size_down=13)",
      [](Optimizer& o) {
        return std::make_shared<CyclicLR>(o, CyclicLROptions({0.01}, {0.1, 0.2}).step_size_up(7).step_size_down(13));
      },
      false, true);
  compare_scheduler<CyclicLR>(
      "sched = L.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=9, mode='triangular2', base_momentum=0.7)",
      [](Optimizer& o) {
        return std::make_shared<CyclicLR>(
            o, CyclicLROptions({0.01}, {0.1}).step_size_up(9).mode("triangular2").base_momentum({0.7}));
      },
      false, true);
  compare_scheduler<CyclicLR>(
      "sched = L.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=5, mode='exp_range', gamma=0.97,"
      " cycle_momentum=False)",
      [](Optimizer& o) {
        return std::make_shared<CyclicLR>(
            o, CyclicLROptions({0.01}, {0.1}).step_size_up(5).mode("exp_range").gamma(0.97).cycle_momentum(false));
      });
  compare_scheduler<OneCycleLR>("sched = L.OneCycleLR(opt, max_lr=[0.5, 0.3], total_steps=100)",
                                [](Optimizer& o) {
                                  return std::make_shared<OneCycleLR>(o, OneCycleLROptions({0.5, 0.3}).total_steps(100));
                                },
                                false, true);
  compare_scheduler<OneCycleLR>(
      "sched = L.OneCycleLR(opt, max_lr=0.4, epochs=10, steps_per_epoch=10, pct_start=0.25,"
      " anneal_strategy='linear', three_phase=True, div_factor=10.0)",
      [](Optimizer& o) {
        return std::make_shared<OneCycleLR>(o, OneCycleLROptions({0.4})
                                                   .epochs(10)
                                                   .steps_per_epoch(10)
                                                   .pct_start(0.25)
                                                   .anneal_strategy("linear")
                                                   .three_phase(true)
                                                   .div_factor(10.0));
      },
      false, true);
  // With Adam, OneCycleLR cycles beta1.
  compare_scheduler<OneCycleLR>("sched = L.OneCycleLR(opt, max_lr=0.2, total_steps=100)",
                                [](Optimizer& o) {
                                  return std::make_shared<OneCycleLR>(o, OneCycleLROptions({0.2}).total_steps(100));
                                },
                                true, true);
}

TEST(Schedulers, SequentialAndChainedMatchTorch) {
  using namespace optim;
  {
    Rig s;
    auto warm = std::make_shared<LinearLR>(*s.opt, 0.1, 1.0, 5);
    auto cos = std::make_shared<CosineAnnealingLR>(*s.opt, 40, 0.001);
    auto decay = std::make_shared<ExponentialLR>(*s.opt, 0.9);
    SequentialLR sched(*s.opt, {warm, cos, decay}, {5, 45});
    compare(s,
            "w = L.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=5)\n"
            "c = L.CosineAnnealingLR(opt, T_max=40, eta_min=0.001)\ne = L.ExponentialLR(opt, gamma=0.9)\n"
            "sched = L.SequentialLR(opt, schedulers=[w, c, e], milestones=[5, 45])",
            [&](int) { sched.step(); });
  }
  {
    Rig s;
    auto constant = std::make_shared<ConstantLR>(*s.opt, 0.5, 10);
    auto restarts = std::make_shared<CosineAnnealingWarmRestarts>(*s.opt, 8, 2);
    auto step = std::make_shared<StepLR>(*s.opt, 10, 0.5);
    SequentialLR sched(*s.opt, {constant, restarts, step}, {10, 60});
    compare(s,
            "a = L.ConstantLR(opt, factor=0.5, total_iters=10)\nb = L.CosineAnnealingWarmRestarts(opt, T_0=8, T_mult=2)\n"
            "c = L.StepLR(opt, step_size=10, gamma=0.5)\n"
            "sched = L.SequentialLR(opt, schedulers=[a, b, c], milestones=[10, 60])",
            [&](int) { sched.step(); });
  }
  {
    Rig s;
    auto constant = std::make_shared<ConstantLR>(*s.opt, 0.1, 3);
    auto exp = std::make_shared<ExponentialLR>(*s.opt, 0.95);
    auto multi = std::make_shared<MultiStepLR>(*s.opt, std::vector<int64_t>{20, 50}, 0.5);
    ChainedScheduler sched({constant, exp, multi});
    compare(s,
            "a = L.ConstantLR(opt, factor=0.1, total_iters=3)\nb = L.ExponentialLR(opt, gamma=0.95)\n"
            "c = L.MultiStepLR(opt, milestones=[20, 50], gamma=0.5)\nsched = L.ChainedScheduler([a, b, c])",
            [&](int) { sched.step(); });
  }
}

TEST(Schedulers, ReduceLROnPlateauMatchesTorch) {
  using namespace optim;
  // The metric improves, then stalls with small wobbles.
  auto metric = [](int k) { return k < 20 ? 1.0 / (1 + k) : 0.05 + 0.001 * ((k * 7) % 5); };
  const std::string py_metric = "metric = lambda k: 1.0 / (1 + k) if k < 20 else 0.05 + 0.001 * ((k * 7) % 5)\n";
  struct Case {
    ReduceLROnPlateauOptions options;
    std::string python;
  };
  std::vector<Case> cases = {
      {ReduceLROnPlateauOptions().patience(3), "patience=3"},
      {ReduceLROnPlateauOptions().patience(2).cooldown(3).factor(0.5).min_lr({0.001, 0.02}),
       "patience=2, cooldown=3, factor=0.5, min_lr=[0.001, 0.02]"},
      {ReduceLROnPlateauOptions().patience(4).threshold_mode("abs").threshold(0.01), "patience=4, threshold_mode='abs', threshold=0.01"},
      {ReduceLROnPlateauOptions().mode("max").patience(1).eps(1e-3), "mode='max', patience=1, eps=1e-3"},
  };
  for (const auto& c : cases) {
    Rig s;
    ReduceLROnPlateau sched(*s.opt, c.options);
    compare(s, py_metric + "sched = L.ReduceLROnPlateau(opt, " + c.python + ")", [&](int k) { sched.step(metric(k)); },
            false, false, "sched.step(metric(k))");
  }
}

TEST(Schedulers, StateDictRoundTrip) {
  using namespace optim;
  Rig a, b;
  auto make = [](Optimizer& o) {
    auto w = std::make_shared<LinearLR>(o, 0.2, 1.0, 4);
    auto r = std::make_shared<CosineAnnealingWarmRestarts>(o, 5, 2, 0.01);
    return std::make_unique<SequentialLR>(o, std::vector<std::shared_ptr<LRScheduler>>{w, r}, std::vector<int64_t>{4});
  };
  auto sa = make(*a.opt);
  for (int k = 0; k < 17; ++k) sa->step();
  auto sb = make(*b.opt);
  b.opt->load_state_dict(a.opt->state_dict());
  sb->load_state_dict(sa->state_dict());
  for (int k = 0; k < 30; ++k) {
    sa->step();
    sb->step();
    ASSERT_EQ(sa->get_last_lr(), sb->get_last_lr()) << k;
  }
  Rig c, d;
  ReduceLROnPlateau pc(*c.opt, ReduceLROnPlateauOptions().patience(1));
  for (double m : {1.0, 0.5, 0.6, 0.7}) pc.step(m);
  ReduceLROnPlateau pd(*d.opt, ReduceLROnPlateauOptions().patience(1));
  d.opt->load_state_dict(c.opt->state_dict());
  pd.load_state_dict(pc.state_dict());
  for (double m : {0.8, 0.4, 0.9, 0.9, 0.9}) {
    pc.step(m);
    pd.step(m);
    ASSERT_EQ(pc.get_last_lr(), pd.get_last_lr());
  }
}

TEST(Schedulers, ErrorMessages) {
  using namespace optim;
  Rig s;
  auto& o = *s.opt;
  auto expect = [&](const std::function<void()>& fn, const std::string& py) {
    EXPECT_EQ(error_message(fn), oracle::error_of(kPySetup + kPySgd + py)) << py;
  };
  expect([&] { ConstantLR(o, 1.5); }, "L.ConstantLR(opt, factor=1.5)");
  expect([&] { LinearLR(o, -0.1); }, "L.LinearLR(opt, start_factor=-0.1)");
  expect([&] { LinearLR(o, 0.5, 2.0); }, "L.LinearLR(opt, start_factor=0.5, end_factor=2.0)");
  expect([&] { CosineAnnealingWarmRestarts(o, 0); }, "L.CosineAnnealingWarmRestarts(opt, T_0=0)");
  expect([&] { CosineAnnealingWarmRestarts(o, 5, 0); }, "L.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=0)");
  expect([&] { LambdaLR(o, std::vector<LambdaLR::Lambda>{[](int64_t) { return 1.0; }}); },
         "L.LambdaLR(opt, [lambda e: 1.0])");
  expect([&] { OneCycleLR(o, OneCycleLROptions({0.1})); }, "L.OneCycleLR(opt, max_lr=0.1)");
  expect([&] { OneCycleLR(o, OneCycleLROptions({0.1}).total_steps(0)); }, "L.OneCycleLR(opt, max_lr=0.1, total_steps=0)");
  expect([&] { OneCycleLR(o, OneCycleLROptions({0.1}).total_steps(10).pct_start(1.5)); },
         "L.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1.5)");
  expect([&] { OneCycleLR(o, OneCycleLROptions({0.1}).total_steps(10).anneal_strategy("exp")); },
         "L.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy='exp')");
  expect([&] { OneCycleLR(o, OneCycleLROptions({0.1, 0.2, 0.3}).total_steps(10)); },
         "L.OneCycleLR(opt, max_lr=[0.1, 0.2, 0.3], total_steps=10)");
  expect([&] {
    OneCycleLR sched(o, OneCycleLROptions({0.1}).total_steps(3));
    for (int k = 0; k < 4; ++k) sched.step();
  },
         "sched = L.OneCycleLR(opt, max_lr=0.1, total_steps=3)\nfor k in range(4): sched.step()");
  expect([&] { CyclicLR(o, CyclicLROptions({0.01}, {0.1}).mode("square")); },
         "L.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode='square')");
  expect([&] { ReduceLROnPlateau(o, ReduceLROnPlateauOptions().factor(1.0)); }, "L.ReduceLROnPlateau(opt, factor=1.0)");
  expect([&] { ReduceLROnPlateau(o, ReduceLROnPlateauOptions().mode("up")); }, "L.ReduceLROnPlateau(opt, mode='up')");
  expect([&] { ReduceLROnPlateau(o, ReduceLROnPlateauOptions().threshold_mode("x")); },
         "L.ReduceLROnPlateau(opt, threshold_mode='x')");
  expect([&] { ReduceLROnPlateau(o, ReduceLROnPlateauOptions().min_lr({0.1, 0.2, 0.3})); },
         "L.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2, 0.3])");
  expect([&] {
    auto a = std::make_shared<StepLR>(o, 5);
    SequentialLR(o, {a}, {3});
  },
         "a = L.StepLR(opt, step_size=5)\nL.SequentialLR(opt, schedulers=[a], milestones=[3])");
  Rig other;
  auto theirs = std::make_shared<StepLR>(*other.opt, 5);
  auto ours = std::make_shared<StepLR>(o, 5);
  EXPECT_EQ(error_message([&] { ChainedScheduler({ours, theirs}); }),
            oracle::error_of(kPySetup + kPySgd +
                             "opt2 = torch.optim.SGD([p0], lr=0.1)\na = L.StepLR(opt, 5); b = L.StepLR(opt2, 5)\n"
                             "L.ChainedScheduler([a, b])"));
  // Adam has no momentum to cycle with CyclicLR.
  Rig adam(true);
  EXPECT_EQ(error_message([&] { CyclicLR(*adam.opt, CyclicLROptions({0.01}, {0.1})); }),
            oracle::error_of(kPySetup + kPyAdam + "L.CyclicLR(opt, base_lr=0.01, max_lr=0.1)"));
}
