#include "distributed/staging.h"

#include "nabla/autograd/grad_mode.h"
#include "nabla/error.h"
#include "nabla/functions.h"

namespace nabla::distributed::detail {

std::string dtype_name(ScalarType t) {
  switch (t) {
    case kByte:
      return "torch.uint8";
    case kInt:
      return "torch.int32";
    case kLong:
      return "torch.int64";
    case kFloat:
      return "torch.float32";
    case kDouble:
      return "torch.float64";
    case kBool:
      return "torch.bool";
    case kHalf:
      return "torch.float16";
    case kShort:
      return "torch.int16";
    case kChar:
      return "torch.int8";
  }
  return "unknown";
}

void check_reduce_op(ReduceOp op, ScalarType t) {
  // MPI has no 16-bit floating type to reduce (broadcast and all_gather move float16 as bits).
  NABLA_CHECK(t != kHalf,
              "all_reduce: the MPI backend cannot reduce torch.float16 tensors; reduce a float32 copy "
              "(t.to(torch::kFloat)) and copy the result back");
  NABLA_CHECK(op != ReduceOp::AVG || t == kFloat || t == kDouble,
              "all_reduce: ReduceOp.AVG needs a floating-point tensor, got ", dtype_name(t));
}

Staged stage(const char* what, const std::vector<Tensor>& tensors, bool copy_in) {
  Staged s;
  s.targets = tensors;
  s.buffers.reserve(tensors.size());
  for (const Tensor& t : tensors) {
    NABLA_CHECK(t.defined(), what, ": got an undefined tensor");
    if (t.is_contiguous()) {
      s.buffers.push_back(t);
    } else {
      s.buffers.push_back(copy_in ? t.contiguous() : empty(t.sizes(), t.scalar_type()));
    }
  }
  return s;
}

void unstage(const Staged& staged) {
  // The collectives write tensors' values as torch.distributed does: outside autograd, even
  // into leaves that require grad (parameters).
  NoGradGuard no_grad;
  for (size_t i = 0; i < staged.targets.size(); ++i) {
    Tensor target = staged.targets[i];
    if (!target.is_same(staged.buffers[i])) target.copy_(staged.buffers[i]);
  }
}

}  // namespace nabla::distributed::detail
