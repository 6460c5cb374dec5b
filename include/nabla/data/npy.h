#pragma once
/// NumPy's .npy and .npz files: read and write tensors the way numpy.save/numpy.load and
/// numpy.savez/numpy.savez_compressed do.
///   nabla::data::write_npy("x.npy", x);            // np.load("x.npy")
///   auto y = nabla::data::read_npy("x.npy");
///   nabla::data::write_npz("d.npz", {{"x", x}, {"y", y}});
///   for (auto& [name, t] : nabla::data::read_npz("d.npz")) ...
/// dtypes: float32, float64, int64, int32, uint8, bool ('<f4' '<f8' '<i8' '<i4' '|u1' '|b1';
/// big-endian files are read too). Fortran-order arrays are read into C-order tensors.
/// A malformed or truncated file gives a nabla::Error naming the file, the byte offset and
/// what was expected there.
#include <string>
#include <utility>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::data {

/// The array in a .npy file as a contiguous tensor.
Tensor read_npy(const std::string& path);
/// Writes a .npy file (format 1.0, C order, little-endian), atomically.
void write_npy(const std::string& path, const Tensor& tensor);

/// The arrays of a .npz file in archive order, named as numpy names them (member name
/// without ".npy"). Members may be stored or deflated.
std::vector<std::pair<std::string, Tensor>> read_npz(const std::string& path);
/// Writes a .npz file (a zip of .npy members), deflated when `compressed`
/// (numpy.savez_compressed), atomically.
void write_npz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
               bool compressed = false);

}  // namespace nabla::data
