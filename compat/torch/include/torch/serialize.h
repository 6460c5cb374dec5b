#pragma once
/// torch::save / torch::load for modules, optimizers, tensors and lists of tensors, in the
/// format of Python's torch.save (a zip archive; Note [torch.save files] in nabla/serialize.h):
/// a module is written as its state_dict, an optimizer as its state_dict, so Python reads both
/// with torch.load, and torch::load reads what Python's torch.save wrote.
///   torch::save(model, "model.pt");            // Python: model.load_state_dict(torch.load("model.pt"))
///   torch::load(optimizer, "optimizer.pt");
///   torch::save(std::vector<torch::Tensor>{a, b}, "tensors.pt");
/// libtorch writes TorchScript archives instead, which nabla cannot read (nor Python's
/// torch.load): Note [torch::save's format].
#include <torch/types.h>

#include <istream>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

// Note [torch::save's format]
// libtorch's torch::save writes a TorchScript archive (a module whose attributes are the
// tensors). nabla has no TorchScript, and the point of saving from C++ is usually to read the
// file back in Python, so nabla's torch::save writes what Python's torch.save(obj) writes for
// the same object: a state_dict for modules and optimizers, a tensor, a list of tensors. Files
// move between nabla and libtorch through torch::pickle_save/pickle_load (both libraries) or
// through Python.

namespace torch {
namespace detail_compat {
inline void write_ivalue(const IValue& value, const std::string& path) { torch_save(value, path); }
inline void write_ivalue(const IValue& value, std::ostream& stream) {
  std::vector<char> bytes = pickle_save(value);
  stream.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  TORCH_CHECK(stream.good(), "torch::save: writing to the stream failed");
}
inline IValue read_ivalue(const std::string& path) { return torch_load(path); }
inline IValue read_ivalue(std::istream& stream) {
  std::vector<char> bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  return pickle_load(bytes);
}
inline void load_module(nn::Module& module, const IValue& value) { module.load_state_dict(to_state_dict(value)); }
inline void load_tensor(Tensor& tensor, const IValue& value) {
  const Tensor& loaded = value.toTensor();
  if (tensor.defined())
    tensor.set_data(loaded);
  else
    tensor = loaded;
}
inline std::vector<Tensor> to_tensor_list(const IValue& value) {
  std::vector<Tensor> tensors;
  for (const IValue& item : value.toListRef()) tensors.push_back(item.toTensor());
  return tensors;
}
}  // namespace detail_compat

/// Writes the module's state_dict (parameters and buffers, Python's names) to a path or stream.
template <typename Target>
void save(const nn::Module& module, Target&& target) {
  detail_compat::write_ivalue(IValue(module.state_dict()), std::forward<Target>(target));
}
template <typename M, typename Target>
void save(const std::shared_ptr<M>& module, Target&& target) {
  save(static_cast<const nn::Module&>(*module), std::forward<Target>(target));
}
template <typename M, typename Target>
void save(const nn::ModuleHolder<M>& module, Target&& target) {
  save(static_cast<const nn::Module&>(*module), std::forward<Target>(target));
}
/// Writes the optimizer's state_dict in Python's structure.
template <typename Target>
void save(const optim::Optimizer& optimizer, Target&& target) {
  detail_compat::write_ivalue(optimizer.state_dict().to_ivalue(), std::forward<Target>(target));
}
template <typename Target>
void save(const Tensor& tensor, Target&& target) {
  detail_compat::write_ivalue(IValue(tensor), std::forward<Target>(target));
}
template <typename Target>
void save(const std::vector<Tensor>& tensors, Target&& target) {
  detail_compat::write_ivalue(IValue(tensors), std::forward<Target>(target));
}

/// Loads a state_dict (saved by torch::save or Python's torch.save(model.state_dict())) into
/// the module, strictly: every key must match.
template <typename Source>
void load(nn::Module& module, Source&& source) {
  detail_compat::load_module(module, detail_compat::read_ivalue(std::forward<Source>(source)));
}
template <typename M, typename Source>
void load(const std::shared_ptr<M>& module, Source&& source) {
  load(static_cast<nn::Module&>(*module), std::forward<Source>(source));
}
template <typename M, typename Source>
void load(nn::ModuleHolder<M>& module, Source&& source) {
  load(static_cast<nn::Module&>(*module), std::forward<Source>(source));
}
template <typename Source>
void load(optim::Optimizer& optimizer, Source&& source) {
  optimizer.load_state_dict(detail_compat::read_ivalue(std::forward<Source>(source)));
}
/// An undefined tensor becomes the loaded one; a defined one takes its values, shape and dtype
/// in place (libtorch's set_), keeping its identity.
template <typename Source>
void load(Tensor& tensor, Source&& source) {
  detail_compat::load_tensor(tensor, detail_compat::read_ivalue(std::forward<Source>(source)));
}
template <typename Source>
void load(std::vector<Tensor>& tensors, Source&& source) {
  tensors = detail_compat::to_tensor_list(detail_compat::read_ivalue(std::forward<Source>(source)));
}
}  // namespace torch
