#pragma once
// The .npy format shared by read_npy/write_npy (npy.cpp) and the .npz archive (npz.cpp).
#include <cstdint>
#include <string>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::io {

/// Decodes a whole .npy image; `base` is its offset in the file (non-zero inside a .npz) and
/// `kind` names the file type in errors.
Tensor parse_npy(const uint8_t* data, size_t size, const char* kind, const std::string& path, uint64_t base);
/// The .npy header (magic, version, length, dict, padding) for a C-order tensor.
std::vector<uint8_t> npy_header(const Tensor& tensor);

}  // namespace nabla::io
