#pragma once
/// Threads: one budget for all of nabla's kernels (GUIDE §3), as torch::set_num_threads.
/// Matrix products use these threads too: large ones are split into blocks, each a
/// single-threaded OpenBLAS call (OpenBLAS's own threads are not used).
///   nabla::set_num_threads(2);
namespace nabla {

/// Sets the number of threads of nabla's kernels (OMP_NUM_THREADS or the core count at start).
void set_num_threads(int n);
int get_num_threads();

}  // namespace nabla
