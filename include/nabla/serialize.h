#pragma once
/// Files of tensors: PyTorch's torch.save format (torch_load / torch_save, below) and
/// checkpoint files in the safetensors format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length, a JSON header giving each tensor's dtype, shape and
/// data_offsets (plus an optional "__metadata__" map of strings), then the raw little-endian
/// data. Python reads them with safetensors.torch.load_file.
///   nabla::save({{"weight", w}, {"bias", b}}, "model.safetensors", {{"epoch", "3"}});
///   for (auto& [name, t] : nabla::load("model.safetensors")) ...
/// dtypes: F32 F64 I64 I32 U8 BOOL. Saving is atomic (Note [Atomic file writes]): a crash or a
/// failing write never destroys the previous file. A corrupt or truncated file is rejected
/// with a nabla::Error naming the file.
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nabla/ivalue.h"
#include "nabla/ordered_dict.h"
#include "nabla/tensor.h"

namespace nabla {

/// Named tensors in order, as save writes them and load returns them.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// Writes the tensors (in this order; names must be unique) and metadata to `path`.
void save(const NamedTensors& tensors, const std::string& path,
          const std::map<std::string, std::string>& metadata = {});
/// Writes the tensors of any other container, in its order: a std::map<std::string, Tensor>
/// (name order) or an nn OrderedDict (module->named_parameters()), whose items have key()/value().
template <typename Dict, typename = std::enable_if_t<!std::is_same_v<Dict, NamedTensors>>>
void save(const Dict& tensors, const std::string& path, const std::map<std::string, std::string>& metadata = {}) {
  NamedTensors list;
  for (const auto& item : tensors) {
    if constexpr (requires { item.key(); }) {
      list.emplace_back(item.key(), item.value());
    } else {
      list.emplace_back(item.first, item.second);
    }
  }
  save(list, path, metadata);
}

/// The tensors of a safetensors file in file order (the order save wrote them).
NamedTensors load(const std::string& path);
/// The "__metadata__" map of a safetensors file (empty if it has none).
std::map<std::string, std::string> load_metadata(const std::string& path);

/// Note [torch.save files]
/// What Python's torch.save wrote, read without running any of it: the zip archive of
/// torch >= 1.6 and the legacy format (_use_new_zipfile_serialization=False), pickle protocol 2.
/// Only what torch.load(path, weights_only=True) accepts is constructed — tensors and
/// parameters, OrderedDict, None, bool, int, float, str, list, tuple, dict with str or int keys;
/// any other global is a nabla::Error naming the file and the global. Tensors sharing a storage
/// stay views of one storage, with their strides and offsets. float16/bfloat16 storages load as
/// float32 and int8/int16 as int32 (nabla's dtypes; every value exactly); storages saved on a
/// GPU load on the CPU.
///   auto model = nabla::vision::models::resnet18();
///   model->load_state_dict(nabla::to_state_dict(nabla::torch_load("resnet18.pth")));
///   auto ckpt = nabla::torch_load("checkpoint.pt").toGenericDict();
///   int64_t epoch = ckpt.at("epoch").toInt();
IValue torch_load(const std::string& path);
/// Writes `value` as torch.save does (zip archive, protocol 2), atomically (Note [Atomic file
/// writes]); Python reads it with torch.load(path) (and with weights_only=True when it holds no
/// floats: torch 1.13's restricted unpickler lacks BINFLOAT). Each tensor's whole storage is
/// written once, however many tensors view it.
///   nabla::torch_save(nabla::IValue(model->state_dict()), "model.pth");
void torch_save(const IValue& value, const std::string& path);
/// libtorch's pickle_load / pickle_save: the same format in memory (torch.load(io.BytesIO(data))).
IValue pickle_load(const std::vector<char>& data);
std::vector<char> pickle_save(const IValue& value);
/// The str -> Tensor dict of a loaded state_dict, for Module::load_state_dict; an error names
/// the first entry that is not a tensor.
OrderedDict<std::string, Tensor> to_state_dict(const IValue& value);

}  // namespace nabla
