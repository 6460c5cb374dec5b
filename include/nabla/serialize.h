#pragma once
/// Checkpoint files in the safetensors format (https://github.com/huggingface/safetensors):
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

}  // namespace nabla
