// Hostile checkpoints: every loaded piece is checked against what it is applied to, errors
// name the file and the section, and no section can make the reader recurse, allocate or loop
// without bound.
#include <nabla/checkpoint.h>
#include <nabla/nabla.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "data/data_testing.h"

namespace nabla::testing {
namespace {

// An Adam over two parameters after a few steps, and a Checkpoint of it.
struct AdamRun {
  AdamRun() : params{sample({2, 3}, kFloat, 1).requires_grad_(), sample({4}, kFloat, 2).requires_grad_()},
              opt(params, optim::AdamOptions(0.01)) {
    for (int k = 0; k < 2; ++k) {
      NoGradGuard g;
      for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = sample(params[i].sizes(), kFloat, k);
      opt.step();
    }
  }
  std::vector<Tensor> params;
  optim::Adam opt;
};

std::vector<Tensor> fresh_params() {
  return {sample({2, 3}, kFloat, 1).requires_grad_(), sample({4}, kFloat, 2).requires_grad_()};
}

TEST(CheckpointHostile, OptimizerStateOfTheWrongShapeFailsAtLoadNamingFileAndSection) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  AdamRun run;
  auto sd = run.opt.state_dict();
  sd.state[0].tensors["exp_avg"] = zeros({0});
  Checkpoint c;
  c.add_optimizer_state(sd);
  c.save(path);
  const Checkpoint loaded = Checkpoint::load(path);  // the file itself is well-formed
  auto params = fresh_params();
  optim::Adam opt(params, optim::AdamOptions(0.01));
  EXPECT_EQ(error_message([&] { opt.load_state_dict(loaded.optimizer_state()); }),
            "loaded state dict has an invalid state for parameter 0: 'exp_avg' has shape [0], but it must have the "
            "parameter's shape [2, 3] (section 'optimizer' of checkpoint file '" + path + "')");
  EXPECT_TRUE(opt.state().empty());

  auto permuted = run.opt.state_dict();
  permuted.param_groups[0].params = {1, 0};
  Checkpoint p;
  p.add_optimizer_state(permuted, "opt");
  p.save(path);
  EXPECT_EQ(error_message([&] { opt.load_state_dict(Checkpoint::load(path).optimizer_state("opt")); }),
            "loaded state dict has the parameter index 1 at position 0 of group 0, where the optimizer has its "
            "parameter 0 (state_dict numbers the parameters 0, 1, 2, ... across the groups in order) (section 'opt' "
            "of checkpoint file '" + path + "')");

  // The good state loads and steps.
  Checkpoint good;
  good.add_optimizer(run.opt);
  good.save(path);
  opt.load_state_dict(Checkpoint::load(path).optimizer_state());
  NoGradGuard g;
  for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = ones(params[i].sizes());
  opt.step();
  EXPECT_TRUE(std::isfinite(params[0].sum().item<float>()));
}

TEST(CheckpointHostile, OptionValuesOutOfRangeGivePyTorchsMessageAndTheFile) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  AdamRun run;
  auto params = fresh_params();
  optim::Adam opt(params, optim::AdamOptions(0.01));
  const std::string where = " (section 'optimizer' of checkpoint file '" + path + "')";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("lr":-1.0)", "Invalid learning rate: -1.0"},
      {R"("lr":{"float":"nan"})", "Invalid learning rate: nan"},
      {R"("eps":-1.0)", "Invalid epsilon value: -1.0"},
      {R"("betas":[{"float":"nan"},2.0])", "Invalid beta parameter at index 0: nan"},
  };
  for (const auto& [option, message] : cases) {
    const std::string json = R"({"kind":"optimizer","state":{},"param_groups":[{"options":{)" + option +
                             R"(},"params":[0,1]}]})";
    save(NamedTensors{}, path, {{"optimizer", json}});
    EXPECT_EQ(error_message([&] { opt.load_state_dict(Checkpoint::load(path).optimizer_state()); }), message + where);
  }
}

// A generator state whose Mersenne Twister words are all zero (the engine would give only zeros).
std::vector<uint8_t> all_zero_generator_state() {
  const std::vector<uint8_t> good = make_generator<CPUGeneratorImpl>(5).get_state();
  std::istringstream in(std::string(good.begin(), good.end()));
  std::string out, word;
  for (int i = 0; i < 6 && in >> word; ++i) out += word + " ";  // tag, seed, cached samples
  for (int i = 0; i < 624; ++i) out += "0 ";
  out += "624";
  return std::vector<uint8_t>(out.begin(), out.end());
}

TEST(CheckpointHostile, InvalidGeneratorStatesAreRefused) {
  const std::vector<uint8_t> zero = all_zero_generator_state();
  Generator g = make_generator<CPUGeneratorImpl>(1);
  const auto before = g.get_state();
  EXPECT_EQ(error_message([&] { g.set_state(zero); }),
            "set_state: the Mersenne Twister state is invalid: its significant bits are all zero, so it would "
            "generate only zeros");
  EXPECT_EQ(g.get_state(), before);
  // A word beyond 32 bits, a position beyond 624 and trailing text are refused too.
  std::string text(before.begin(), before.end());
  const std::string wide = text.substr(0, text.rfind(' ')) + " 625";
  EXPECT_EQ(error_message([&] { g.set_state(std::vector<uint8_t>(wide.begin(), wide.end())); }),
            "set_state: the Mersenne Twister state is invalid: its words must be 32-bit values and its position at "
            "most 624");
  const std::string trailing = text + " 7";
  EXPECT_EQ(error_message([&] { g.set_state(std::vector<uint8_t>(trailing.begin(), trailing.end())); }),
            "set_state: the state is not one that get_state of a CPU generator produced");

  TempDir dir;
  const std::string path = dir.file("rng.safetensors");
  Checkpoint c;
  c.add_generator_state(zero);
  c.save(path);
  EXPECT_EQ(error_message([&] { Checkpoint::load(path); }),
            "Checkpoint file '" + path + "' is malformed: Checkpoint section 'rng' does not hold a generator state: "
            "set_state: the Mersenne Twister state is invalid: its significant bits are all zero, so it would "
            "generate only zeros");
}

TEST(CheckpointHostile, DeepNestingIsBoundedAndNotRepeatedInTheMessage) {
  TempDir dir;
  const std::string path = dir.file("deep.safetensors");
  const std::string deep = R"({"kind":"scheduler","values":{"base_lrs":)" + std::string(100000, '[') + "]}";
  save(NamedTensors{}, path, {{"scheduler", deep}});
  const std::string msg = error_message([&] { Checkpoint::load(path); });
  EXPECT_EQ(msg, "Checkpoint file '" + path +
                     "' is malformed: section 'scheduler' is not a checkpoint section (expected JSON nested at most "
                     "64 levels deep at byte 103 of its JSON)");
  // 64 levels are fine for the parser; the scheduler section then says what it expected.
  const std::string ok_depth = R"({"kind":"scheduler","values":{"base_lrs":)" + std::string(62, '[') +
                               std::string(62, ']') + R"(},"schedulers":[]})";
  save(NamedTensors{}, path, {{"scheduler", ok_depth}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(path); }),
            "Checkpoint file '" + path + "' is malformed: Checkpoint: expected a float, got " +
                std::string(61, '[') + std::string(59, ']') + "... (122 characters)");
}

TEST(CheckpointHostile, TensorListLengthsAreBoundedBeforeAnythingIsBuilt) {
  TempDir dir;
  const std::string path = dir.file("lists.safetensors");
  for (const char* n : {"10000000", "1000000000000", "-1", "1.5"}) {
    const std::string json = std::string(R"({"kind":"optimizer","state":{"0":{"tensors":[],"tensor_lists":{"old_dirs":)") +
                             n + R"(},"values":{}}},"param_groups":[]})";
    save(NamedTensors{{"w", ones({1})}}, path, {{"optimizer", json}});
    EXPECT_EQ(error_message([&] { Checkpoint::load(path); }),
              "Checkpoint file '" + path + "' is malformed: Checkpoint section 'optimizer' gives the tensor list "
              "'old_dirs' a length of " + n + ", but the file holds 1 tensors");
  }
  save(NamedTensors{}, path,
       {{"optimizer", R"({"kind":"optimizer","state":{"x1":{"tensors":[],"tensor_lists":{},"values":{}}},"param_groups":[]})"}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(path); }),
            "Checkpoint file '" + path + "' is malformed: Checkpoint section 'optimizer' has the state key 'x1', which "
            "is not a parameter index");
  save(NamedTensors{}, path,
       {{"optimizer", R"({"kind":"optimizer","state":{},"param_groups":[{"options":{},"params":[-1]}]})"}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(path); }),
            "Checkpoint file '" + path + "' is malformed: Checkpoint section 'optimizer' has the parameter index -1, "
            "which is not a non-negative integer");
}

TEST(CheckpointHostile, OnlyNablaErrorsNamingTheFileLeaveLoad) {
  TempDir dir;
  const std::string path = dir.file("odd.safetensors");
  // Type errors inside a section (nlohmann would throw its own exceptions) become nabla::Errors.
  for (const char* json : {R"({"kind":"module","keys":[1]})", R"({"kind":"optimizer","state":[],"param_groups":7})",
                           R"({"kind":"scheduler","values":{},"schedulers":[3]})",
                           R"({"kind":"data_loader","keys":{"a":1}})"}) {
    save(NamedTensors{}, path, {{"s", json}});
    const std::string msg = error_message([&] { Checkpoint::load(path); });
    EXPECT_EQ(msg.rfind("Checkpoint file '" + path + "' is malformed: ", 0), 0u) << msg;
  }
}

}  // namespace
}  // namespace nabla::testing
