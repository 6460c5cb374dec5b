// Fuzzes Checkpoint::load and applying what it read: a model's load_state_dict, an Adam
// optimizer's and an SGD optimizer's, a StepLR scheduler's, a DataLoader's and the default
// generator's state — then trains one step and draws, so that an accepted state is also a
// usable one (no read past a buffer, no wrong-sized state).
#include <nabla/checkpoint.h>
#include <nabla/nabla.h>

#include "fuzz_common.h"

namespace {

using namespace nabla;
namespace F = nabla::nn::functional;

data::TensorDataset dataset() { return data::TensorDataset(arange(24, kFloat).reshape({8, 3}), (arange(8) > 3).to(kLong)); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = nabla::fuzz::write_input(data, size, ".ckpt");
  std::optional<Checkpoint> c;
  nabla::fuzz::expect_only_nabla_errors([&] { c = Checkpoint::load(path); });
  if (!c) return 0;
  manual_seed(0);
  nn::Linear model(3, 2);
  optim::Adam adam(model->parameters(), optim::AdamOptions(0.01));
  optim::SGD sgd(model->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  optim::StepLR sched(adam, 1, 0.5);
  data::DataLoader<data::TensorDataset> loader(dataset(), data::DataLoaderOptions(4).shuffle(true).seed(1));
  for (const auto& s : c->sections()) {
    nabla::fuzz::expect_only_nabla_errors([&] { model->load_state_dict(c->module_state(s)); });
    nabla::fuzz::expect_only_nabla_errors([&] { adam.load_state_dict(c->optimizer_state(s)); });
    nabla::fuzz::expect_only_nabla_errors([&] { sgd.load_state_dict(c->optimizer_state(s)); });
    nabla::fuzz::expect_only_nabla_errors([&] { sched.load_state_dict(c->scheduler_state(s)); });
    nabla::fuzz::expect_only_nabla_errors([&] { loader.load_state_dict(c->data_loader_state(s)); });
    nabla::fuzz::expect_only_nabla_errors([&] { default_generator().set_state(c->generator_state(s)); });
    nabla::fuzz::expect_only_nabla_errors([&] { (void)c->get_int(s); });
    nabla::fuzz::expect_only_nabla_errors([&] { (void)c->get_string(s); });
  }
  nabla::fuzz::expect_only_nabla_errors([&] {
    for (auto& batch : loader) {
      for (optim::Optimizer* opt : std::initializer_list<optim::Optimizer*>{&adam, &sgd}) {
        opt->zero_grad();
        F::cross_entropy(model->forward(batch.data), batch.target).backward();
        opt->step();
      }
      sched.step();
    }
    (void)randn({4});
  });
  return 0;
}
