#pragma once
/// Threads: one budget for nabla's loops and OpenBLAS (GUIDE §3), as torch::set_num_threads.
///   nabla::set_num_threads(2);
namespace nabla {

/// Sets the number of threads for nabla's kernels and for OpenBLAS together.
void set_num_threads(int n);
int get_num_threads();

}  // namespace nabla
