// load_state_dict checks every loaded piece against what it is applied to (Note [Loading an
// optimizer state]): a state that does not fit is refused at load time with the optimizer left
// unchanged, so that step() never reads past a buffer; option ranges give PyTorch's messages.
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <nabla/optim.h>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<Tensor> leaves() {
  return {sample({2, 3}, kFloat, 1).requires_grad_(), sample({4}, kFloat, 2).requires_grad_()};
}

void set_grads(const std::vector<Tensor>& ps, int k) {
  NoGradGuard g;
  for (size_t i = 0; i < ps.size(); ++i) Tensor(ps[i]).mutable_grad() = sample(ps[i].sizes(), kFloat, 10 * k + int(i));
}

// A trained Adam's state dict over leaves().
optim::OptimizerStateDict trained_adam_state(std::vector<Tensor>& params) {
  params = leaves();
  optim::Adam opt(params, optim::AdamOptions(0.01));
  for (int k = 0; k < 3; ++k) {
    set_grads(params, k);
    opt.step();
  }
  return opt.state_dict();
}

std::vector<Tensor> copies(const std::vector<Tensor>& ps) {
  std::vector<Tensor> out;
  for (const auto& p : ps) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

}  // namespace

TEST(OptimStateValidation, AdamStateOfTheWrongShapeIsRefusedAtLoadAndAGoodOneSteps) {
  std::vector<Tensor> a;
  const auto good = trained_adam_state(a);
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{0}, {1}, {2, 3, 4}}) {
    auto b = copies(a);
    optim::Adam opt(b, optim::AdamOptions(0.01));
    auto bad = good;
    bad.state[0].tensors["exp_avg"] = zeros(shape);
    std::string dims;
    for (size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
    EXPECT_EQ(error_message([&] { opt.load_state_dict(bad); }),
              "loaded state dict has an invalid state for parameter 0: 'exp_avg' has shape [" + dims +
                  "], but it must have the parameter's shape [2, 3]");
    EXPECT_TRUE(opt.state().empty());  // nothing was loaded
  }
  // The correct dict loads, and the next steps match the optimizer it came from.
  optim::Adam from(a, optim::AdamOptions(0.01));
  from.load_state_dict(good);
  auto b = copies(a);
  optim::Adam opt(b, optim::AdamOptions(0.01));
  opt.load_state_dict(good);
  for (int k = 3; k < 6; ++k) {
    set_grads(a, k);
    set_grads(b, k);
    from.step();
    opt.step();
  }
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].detach().equal(b[i].detach()));
}

TEST(OptimStateValidation, StateTensorsMustMatchDtypeAndComeInPairs) {
  std::vector<Tensor> a;
  const auto good = trained_adam_state(a);
  optim::Adam opt(copies(a), optim::AdamOptions(0.01));
  auto ints = good;
  ints.state[1].tensors["exp_avg_sq"] = zeros({4}, kLong);
  EXPECT_EQ(error_message([&] { opt.load_state_dict(ints); }),
            "loaded state dict has an invalid state for parameter 1: 'exp_avg_sq' has dtype Long, but it must be "
            "floating point like the parameter (Float)");
  auto half = good;
  half.state[1].tensors.erase("exp_avg_sq");
  EXPECT_EQ(error_message([&] { opt.load_state_dict(half); }),
            "loaded state dict has an invalid state for parameter 1: 'exp_avg' and 'exp_avg_sq' must be both present "
            "or both absent");
  // A float64 state is cast to the parameter's float32, as PyTorch does.
  auto doubles = good;
  doubles.state[0].tensors["exp_avg"] = doubles.state[0].tensors["exp_avg"].to(kDouble);
  opt.load_state_dict(doubles);
}

TEST(OptimStateValidation, StepCountsMustBeWholeNonNegativeNumbers) {
  std::vector<Tensor> a;
  const auto good = trained_adam_state(a);
  optim::Adam opt(copies(a), optim::AdamOptions(0.01));
  const std::string pre = "loaded state dict has an invalid state for parameter 0: ";
  for (const auto& [value, text] : {std::pair{kNaN, "nan"}, {-1.0, "-1.0"}, {2.5, "2.5"},
                                    {std::numeric_limits<double>::infinity(), "inf"}}) {
    auto bad = good;
    bad.state[0].tensors["step"] = scalar_tensor(value, kDouble);
    EXPECT_EQ(error_message([&] { opt.load_state_dict(bad); }),
              pre + "'step' must be a non-negative whole number, got " + text);
  }
  auto many = good;
  many.state[0].tensors["step"] = zeros({2});
  EXPECT_EQ(error_message([&] { opt.load_state_dict(many); }), pre + "'step' must hold one number, but it has 2 elements");
}

TEST(OptimStateValidation, ParameterIndicesMustNumberTheParametersInOrder) {
  std::vector<Tensor> ps;
  for (int i = 0; i < 4; ++i) ps.push_back(sample({3}, kFloat, i).requires_grad_());
  optim::SGD one(ps, optim::SGDOptions(0.1).momentum(0.9));
  set_grads(ps, 0);
  one.step();
  auto sd = one.state_dict();
  optim::SGD two(copies(ps), optim::SGDOptions(0.1).momentum(0.9));
  auto permuted = sd;
  permuted.param_groups[0].params = {3, 2, 1, 0};
  EXPECT_EQ(error_message([&] { two.load_state_dict(permuted); }),
            "loaded state dict has the parameter index 3 at position 0 of group 0, where the optimizer has its "
            "parameter 0 (state_dict numbers the parameters 0, 1, 2, ... across the groups in order)");
  auto repeated = sd;
  repeated.param_groups[0].params = {0, 1, 1, 3};
  EXPECT_EQ(error_message([&] { two.load_state_dict(repeated); }),
            "loaded state dict has the parameter index 1 at position 2 of group 0, where the optimizer has its "
            "parameter 2 (state_dict numbers the parameters 0, 1, 2, ... across the groups in order)");
  auto stray = sd;
  stray.state[7] = stray.state[0];
  EXPECT_EQ(error_message([&] { two.load_state_dict(stray); }),
            "loaded state dict has a state for the parameter index 7, but the optimizer has 4 parameters");
  EXPECT_TRUE(two.state().empty());
  two.load_state_dict(sd);
  EXPECT_EQ(two.state().size(), 4u);
}

TEST(OptimStateValidation, LoadedOptionsAreCheckedAsTheConstructorChecksThem) {
  auto p = sample({3}, kFloat, 1).requires_grad_();
  const std::string py = "p = torch.zeros(3, requires_grad=True)\n";
  struct Case {
    std::string key;
    optim::OptionValue value;
    std::string python;  // the same options given to PyTorch's constructor
  };
  optim::Adam adam(std::vector<Tensor>{p}, optim::AdamOptions(0.01));
  for (const Case& c : {Case{"lr", -1.0, "torch.optim.Adam([p], lr=-1.0)"},
                        Case{"eps", -1.0, "torch.optim.Adam([p], eps=-1.0)"},
                        Case{"betas", std::vector<double>{kNaN, 2.0}, "torch.optim.Adam([p], betas=(float('nan'), 2.0))"},
                        Case{"betas", std::vector<double>{0.9, 1.0}, "torch.optim.Adam([p], betas=(0.9, 1.0))"},
                        Case{"weight_decay", -0.5, "torch.optim.Adam([p], weight_decay=-0.5)"}}) {
    auto sd = adam.state_dict();
    sd.param_groups[0].options[c.key] = c.value;
    EXPECT_EQ(error_message([&] { adam.load_state_dict(sd); }), oracle::error_of(py + c.python)) << c.python;
  }
  // NaN is refused too (PyTorch's `lr < 0.0` lets it through).
  auto nan_lr = adam.state_dict();
  nan_lr.param_groups[0].options["lr"] = kNaN;
  EXPECT_EQ(error_message([&] { adam.load_state_dict(nan_lr); }), "Invalid learning rate: nan");
  EXPECT_EQ(adam.param_groups()[0].options().get_lr(), 0.01);  // unchanged

  optim::SGD sgd(std::vector<Tensor>{p}, optim::SGDOptions(0.1));
  auto sd = sgd.state_dict();
  sd.param_groups[0].options["momentum"] = -1.0;
  EXPECT_EQ(error_message([&] { sgd.load_state_dict(sd); }), oracle::error_of(py + "torch.optim.SGD([p], lr=0.1, momentum=-1.0)"));
  optim::RMSprop rms(std::vector<Tensor>{p}, optim::RMSpropOptions(0.01));
  auto rsd = rms.state_dict();
  rsd.param_groups[0].options["alpha"] = -1.0;
  EXPECT_EQ(error_message([&] { rms.load_state_dict(rsd); }), oracle::error_of(py + "torch.optim.RMSprop([p], alpha=-1.0)"));
  optim::Adagrad ada(std::vector<Tensor>{p}, optim::AdagradOptions(0.01));
  auto asd = ada.state_dict();
  asd.param_groups[0].options["lr_decay"] = -1.0;
  EXPECT_EQ(error_message([&] { ada.load_state_dict(asd); }), oracle::error_of(py + "torch.optim.Adagrad([p], lr_decay=-1.0)"));
}

TEST(OptimStateValidation, EveryOptimizersStateIsChecked) {
  auto p = sample({2, 2}, kFloat, 1).requires_grad_();
  const std::string pre = "loaded state dict has an invalid state for parameter 0: ";
  using Make = std::function<std::unique_ptr<optim::Optimizer>(Tensor)>;
  struct Case {
    const char* name;
    Make make;
    const char* tensor;
  };
  const std::vector<Case> cases = {
      {"sgd", [](Tensor q) { return std::make_unique<optim::SGD>(std::vector<Tensor>{q}, optim::SGDOptions(0.1).momentum(0.9)); }, "momentum_buffer"},
      {"adamw", [](Tensor q) { return std::make_unique<optim::AdamW>(std::vector<Tensor>{q}, optim::AdamWOptions(0.01).amsgrad(true)); }, "max_exp_avg_sq"},
      {"adagrad", [](Tensor q) { return std::make_unique<optim::Adagrad>(std::vector<Tensor>{q}, optim::AdagradOptions(0.1)); }, "sum"},
      {"rmsprop", [](Tensor q) { return std::make_unique<optim::RMSprop>(std::vector<Tensor>{q}, optim::RMSpropOptions(0.01).centered(true).momentum(0.5)); }, "grad_avg"},
  };
  for (const auto& c : cases) {
    auto opt = c.make(p);
    set_grads({p}, 0);
    opt->step();
    auto sd = opt->state_dict();
    ASSERT_TRUE(sd.state[0].tensors.count(c.tensor)) << c.name;
    sd.state[0].tensors[c.tensor] = zeros({5});
    auto other = c.make(p.detach().clone().requires_grad_());
    EXPECT_EQ(error_message([&] { other->load_state_dict(sd); }),
              pre + "'" + c.tensor + "' has shape [5], but it must have the parameter's shape [2, 2]")
        << c.name;
  }
}

TEST(OptimStateValidation, LbfgsStateMustFitTheFlatParametersAndTheHistory) {
  std::vector<Tensor> ps = {sample({2, 2}, kDouble, 1).requires_grad_(), sample({3}, kDouble, 2).requires_grad_()};
  optim::LBFGS opt(ps, optim::LBFGSOptions(0.5).history_size(2));
  auto closure = [&] {
    opt.zero_grad();
    Tensor loss = (ps[0] * ps[0]).sum() + (ps[1] * ps[1] * ps[1] * ps[1]).sum();
    loss.backward();
    return loss;
  };
  opt.step(closure);
  const auto sd = opt.state_dict();
  ASSERT_EQ(sd.state.at(0).tensor_lists.at("old_dirs").size(), 2u);
  const std::string pre = "loaded state dict has an invalid state for parameter 0: ";
  optim::LBFGS two(copies(ps), optim::LBFGSOptions(0.5).history_size(2));
  auto d = sd;
  d.state[0].tensors["d"] = zeros({6}, kDouble);
  EXPECT_EQ(error_message([&] { two.load_state_dict(d); }),
            pre + "'d' has shape [6], but it must have the shape of all parameters' elements [7]");
  auto longer = sd;
  longer.state[0].tensor_lists["old_dirs"].push_back(zeros({7}, kDouble));
  longer.state[0].tensor_lists["old_stps"].push_back(zeros({7}, kDouble));
  auto& ro = std::get<std::vector<double>>(longer.state[0].values["ro"]);
  ro.push_back(1.0);
  EXPECT_EQ(error_message([&] { two.load_state_dict(longer); }),
            pre + "'old_dirs' holds 3 entries, more than the history_size 2");
  auto uneven = sd;
  uneven.state[0].tensor_lists["old_stps"].pop_back();
  EXPECT_EQ(error_message([&] { two.load_state_dict(uneven); }),
            pre + "'old_dirs', 'old_stps' and 'ro' must have the same length, got 2, 1 and 2");
  auto no_history = sd;
  no_history.param_groups[0].options["history_size"] = int64_t{0};
  EXPECT_EQ(error_message([&] { two.load_state_dict(no_history); }), "LBFGS needs a history_size of at least 1, got 0");
  two.load_state_dict(sd);
  auto closure_two = [&] {
    two.zero_grad();
    const auto& q = two.param_groups()[0].params();
    Tensor loss = (q[0] * q[0]).sum() + (q[1] * q[1] * q[1] * q[1]).sum();
    loss.backward();
    return loss;
  };
  two.step(closure_two);
  opt.step(closure);
  for (size_t i = 0; i < ps.size(); ++i) EXPECT_TRUE(two.param_groups()[0].params()[i].detach().equal(ps[i].detach()));
}

TEST(OptimStateValidation, ErrorsEndWithWhereTheDictCameFrom) {
  std::vector<Tensor> a;
  auto sd = trained_adam_state(a);
  sd.source = "section 'optimizer' of checkpoint file 'run.safetensors'";
  sd.param_groups[0].options["lr"] = -1.0;
  optim::Adam opt(copies(a), optim::AdamOptions(0.01));
  EXPECT_EQ(error_message([&] { opt.load_state_dict(sd); }),
            "Invalid learning rate: -1.0 (section 'optimizer' of checkpoint file 'run.safetensors')");
  sd.param_groups.push_back(sd.param_groups[0]);
  EXPECT_EQ(error_message([&] { opt.load_state_dict(sd); }),
            "loaded state dict has a different number of parameter groups (section 'optimizer' of checkpoint file "
            "'run.safetensors')");
}
