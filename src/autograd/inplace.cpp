// In-place ops in the graph: the leaf rule, writing the result, and rebasing history.
#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"

namespace nabla::autograd {

void write_inplace_result(Tensor& dst, const Tensor& src) {
  NABLA_CHECK(core::can_cast(src.scalar_type(), dst.scalar_type()), "result type ",
              scalarTypeName(src.scalar_type()), " can't be cast to the desired output type ",
              scalarTypeName(dst.scalar_type()));
  if (!dst.is_same(src)) kernels::copy_(dst, src);
  dst.impl()->bump_version();
}

void rebase_history(Tensor& self, const std::shared_ptr<Node>& node) {
  auto& meta = self.impl()->ensure_autograd_meta();
  NABLA_CHECK(!meta.base.defined(),
              "in-place modification of a view of a tensor that requires grad is not supported yet; "
              "use the out-of-place op or clone() the view first");
  node->set_input_metadata(0, self);
  // A retained gradient follows the tensor to its new grad_fn.
  meta.grad_fn = node;
  meta.output_nr = 0;
  meta.requires_grad = false;
  if (meta.retained_grad) {
    meta.retained_grad = std::make_shared<Tensor>();
    node->retained_grads().emplace_back(0, meta.retained_grad);
  }
}

}  // namespace nabla::autograd
