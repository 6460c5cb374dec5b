#pragma once
// The safetensors reader's one entry point (load, load_metadata and Checkpoint::load use it), so
// that a file's header is read and parsed once.
#include <map>
#include <string>

#include "nabla/serialize.h"

namespace nabla::io {

struct SafetensorsContent {
  NamedTensors tensors;  // in file order; empty unless asked for
  std::map<std::string, std::string> metadata;
};

/// The metadata and, with `with_tensors`, the tensors of a safetensors file. Only a
/// nabla::Error naming the file leaves it.
SafetensorsContent read_safetensors(const std::string& path, bool with_tensors);

}  // namespace nabla::io
