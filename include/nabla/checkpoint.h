#pragma once
/// Training checkpoints: the model, the optimizer, the LR scheduler, the DataLoader's position,
/// the random generator and plain values gathered into ONE safetensors file, as a PyTorch
/// training script saves a dict of state_dicts with torch.save.
///   nabla::Checkpoint ckpt;
///   ckpt.add_module(*model);  ckpt.add_optimizer(opt);  ckpt.add_scheduler(sched);
///   ckpt.add_data_loader(loader);  ckpt.add_generator();  ckpt.set_int("epoch", 3);
///   ckpt.save("run/checkpoint.safetensors");                  // atomic (nabla::save)
///   auto c = nabla::Checkpoint::load("run/checkpoint.safetensors");
///   model->load_state_dict(c.module_state());  opt.load_state_dict(c.optimizer_state());
///   sched.load_state_dict(c.scheduler_state());  loader.load_state_dict(c.data_loader_state());
///   nabla::default_generator().set_state(c.generator_state());
///
/// Note [Checkpoint key layout]
/// Every section has a name (defaults: "model", "optimizer", "scheduler", "loader", "rng").
/// Its tensors are stored under `"<name>.<key>"`, and the file's "__metadata__" map has one entry
/// per section, under the section's name, holding a JSON object whose "kind" says what it is:
/// @verbatim
///   module      tensors  <name>.<PyTorch state_dict key>   e.g. model.fc1.weight
///               JSON     {"kind":"module","keys":[...]}   (the keys in state_dict order)
///   optimizer   tensors  <name>.state.<param index>.<tensor name>  e.g. optimizer.state.0.exp_avg
///                        <name>.state.<param index>.<list name>.<position>
///               JSON     {"kind":"optimizer","state":{"0":{"tensors":[...],"tensor_lists":
///                        {"old_dirs":3},"values":{...}}},"param_groups":[{"options":{...},
///                        "params":[0,1]}]}             (Note [Optimizer state dict])
///   scheduler   JSON     {"kind":"scheduler","values":{...},"schedulers":[...]}
///   data_loader tensors  <name>.<DataLoader state key>  e.g. loader.epoch, loader.sampler.indices
///               JSON     {"kind":"data_loader","keys":[...]}
///   generator   tensor   <name>  (1-D uint8: CPUGeneratorImpl::get_state())
///               JSON     {"kind":"generator"}
///   int, string JSON     {"kind":"int","value":3}, {"kind":"string","value":"adam"}
/// @endverbatim
/// Option values (OptionValue) are JSON null, booleans, integers, floats (always written with a
/// decimal point or exponent, so 1.0 stays a float), strings and arrays of floats; non-finite
/// floats are written as {"float":"inf"}, {"float":"-inf"} or {"float":"nan"}.
/// Python reads the model alone with
///   sd = {k[6:]: v for k, v in safetensors.torch.load_file(path).items() if k.startswith("model.")}
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nabla/data/dataloader.h"
#include "nabla/generator.h"
#include "nabla/nn/module.h"
#include "nabla/optim/lr_scheduler.h"
#include "nabla/optim/optimizer.h"
#include "nabla/ordered_dict.h"
#include "nabla/serialize.h"

namespace nabla {

/// Named sections of training state in one safetensors file (Note [Checkpoint key layout]).
/// The add_* functions copy the state as it is now; adding a name twice is an error.
class Checkpoint {
 public:
  Checkpoint() = default;

  /// The module's state_dict (parameters and persistent buffers, PyTorch's keys).
  void add_module(const nn::Module& module, const std::string& name = "model");
  /// A state_dict given as tensors (e.g. module->state_dict()).
  void add_state_dict(const OrderedDict<std::string, Tensor>& state_dict, const std::string& name = "model");
  void add_optimizer(const optim::Optimizer& optimizer, const std::string& name = "optimizer");
  void add_optimizer_state(const optim::OptimizerStateDict& state, const std::string& name = "optimizer");
  void add_scheduler(const optim::LRScheduler& scheduler, const std::string& name = "scheduler");
  void add_scheduler_state(const optim::SchedulerStateDict& state, const std::string& name = "scheduler");
  void add_data_loader(const data::detail::DataLoaderBase& loader, const std::string& name = "loader");
  void add_data_loader_state(const data::DataLoaderState& state, const std::string& name = "loader");
  /// The state of `generator` (by default the default generator).
  void add_generator(const Generator& generator = default_generator(), const std::string& name = "rng");
  void add_generator_state(const std::vector<uint8_t>& state, const std::string& name = "rng");
  void set_int(const std::string& name, int64_t value);
  void set_string(const std::string& name, const std::string& value);

  /// Whether a section of that name exists.
  bool contains(const std::string& name) const;
  /// The section names, sorted.
  std::vector<std::string> sections() const;

  /// A module section, ready for module->load_state_dict.
  OrderedDict<std::string, Tensor> module_state(const std::string& name = "model") const;
  /// An optimizer section; its `source` names the section and file, so that errors of
  /// optimizer.load_state_dict say where the state came from.
  optim::OptimizerStateDict optimizer_state(const std::string& name = "optimizer") const;
  optim::SchedulerStateDict scheduler_state(const std::string& name = "scheduler") const;
  data::DataLoaderState data_loader_state(const std::string& name = "loader") const;
  /// Bytes for Generator::set_state (checked: a state set_state refuses is an error here).
  std::vector<uint8_t> generator_state(const std::string& name = "rng") const;
  int64_t get_int(const std::string& name) const;
  std::string get_string(const std::string& name) const;

  /// Writes the checkpoint atomically: an earlier file at `path` survives a failed write.
  void save(const std::string& path) const;
  /// Reads a checkpoint written by save; a corrupt or truncated file, or one whose sections do
  /// not match its tensors, raises a nabla::Error naming the file.
  static Checkpoint load(const std::string& path);

 private:
  void add_section(const std::string& name, std::string json);
  const Tensor& tensor(const std::string& key, const std::string& section) const;

  std::map<std::string, std::string> sections_;  // name -> JSON
  std::map<std::string, Tensor> tensors_;
  std::vector<std::string> order_;  // tensor keys in insertion order
  std::string path_;                // the file load read, for the errors of what it returns
};

}  // namespace nabla
