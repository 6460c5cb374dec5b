#pragma once
// Reading named tensors back from a state_dict (samplers, DataLoader).
#include <string>
#include <utility>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::data::detail {

/// The tensor named `key` in `state` (an Error naming `owner` and the key if it is missing).
const Tensor& state_entry(const std::vector<std::pair<std::string, Tensor>>& state, const std::string& key,
                          const char* owner);
/// The single int64 value of the entry.
int64_t state_int(const std::vector<std::pair<std::string, Tensor>>& state, const std::string& key, const char* owner);

}  // namespace nabla::data::detail
