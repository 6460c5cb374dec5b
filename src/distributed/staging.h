#pragma once
// What every backend does around the raw collective: argument checks with torch.distributed's
// messages, contiguous buffers for tensors of any layout, and the caller-side finish.
#include <string>
#include <vector>

#include "nabla/distributed.h"

namespace nabla::distributed::detail {

/// The contiguous buffers a collective works on, and the tensors they belong to.
struct Staged {
  std::vector<Tensor> targets;
  std::vector<Tensor> buffers;
};

/// Checks the tensors (defined, dense) and makes a contiguous buffer for each non-contiguous
/// one (copied from it when `copy_in`).
Staged stage(const char* what, const std::vector<Tensor>& tensors, bool copy_in = true);
/// Copies each buffer back into its target when they differ (after the collective).
void unstage(const Staged& staged);
/// The name Python prints for a dtype ("torch.float32").
std::string dtype_name(ScalarType t);
/// Checks that op can reduce tensors of dtype t.
void check_reduce_op(ReduceOp op, ScalarType t);

}  // namespace nabla::distributed::detail
