#pragma once
/// torch::cuda as libtorch built without CUDA answers: nabla has kernels for the CPU only.
///   torch::Device device(torch::cuda::is_available() ? torch::kCUDA : torch::kCPU);
#include <torch/types.h>

#include <cstddef>
#include <cstdint>

namespace torch::cuda {
/// Always false.
inline bool is_available() { return false; }
/// Always 0.
inline size_t device_count() { return 0; }
/// Always false.
inline bool cudnn_is_available() { return false; }
/// No-ops: there is no CUDA generator to seed.
inline void manual_seed(uint64_t /*seed*/) {}
inline void manual_seed_all(uint64_t /*seed*/) {}
}  // namespace torch::cuda
