#pragma once
/// The IDX format of MNIST and Fashion-MNIST (gzip'd or raw; the gzip magic decides).
///   auto images = nabla::data::read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
///   // uint8 tensor of shape (10000, 28, 28)
#include <string>

#include "nabla/tensor.h"

namespace nabla::data {

/// The array of an IDX file with its dimensions. Element types: unsigned byte → uint8,
/// signed byte, short and int → int32, float → float32, double → float64 (IDX data is
/// big-endian and is converted). A malformed or truncated file gives a nabla::Error naming the
/// file, the byte offset (in the decompressed data for a gzip'd file) and what was expected.
Tensor read_idx(const std::string& path);

}  // namespace nabla::data
