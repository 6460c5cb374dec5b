// In-place ops in the graph: writing the result, rebasing history, and in-place ops on views.
#include "autograd/op.h"
#include "autograd/view.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "nabla/functions.h"

namespace nabla::autograd {

// Note [In-place on views]
// As in PyTorch, an in-place op on a view v of a base b whose history is tracked rewrites the
// history of b: b's grad_fn becomes CopySlices, whose backward takes the gradient of the new
// b, passes the region v covers through the in-place op's backward (fn), and lets the rest
// through unchanged; fn's gradients for its other inputs go to their edges. v itself becomes
// an AsStridedBackward0 view of the new b. Every other view of b notices that the storage
// version changed and regenerates its grad_fn the same way when it is next used
// (refresh_view_grad_fn), so all of them see b's new history.
namespace {

struct CopySlices final : Node {
  CopySlices(const Tensor& base, const Tensor& view, std::shared_ptr<Node> fn, uint32_t fn_output)
      : base_(geometry_of(base)), fn_(std::move(fn)), fn_output_(fn_output) {
    view_ = geometry_of(view);
    view_.offset -= base.storage_offset();
    next_edges_.reserve(fn_->num_outputs());
    next_edges_.push_back(gradient_edge(base));
    for (size_t i = 1; i < fn_->num_outputs(); ++i) next_edges_.push_back(fn_->next_edge(i));
    set_input_metadata(0, base);
  }
  std::string name() const override { return "torch::autograd::CopySlices"; }
  void release_variables() override { fn_->release_variables(); }

  variable_list apply(variable_list&& grads) override {
    const Tensor& grad = grads[0];
    variable_list out(num_outputs());
    if (!grad.defined()) return out;
    // The gradient of the base, laid out like the base, so that the view's geometry addresses
    // the view's region of it.
    int64_t extent = 1;
    for (size_t d = 0; d < base_.sizes.size(); ++d)
      if (base_.sizes[d] > 0) extent += (base_.sizes[d] - 1) * base_.strides[d];
    if (prod_sizes(base_.sizes) == 0) extent = 0;
    Tensor result = core::empty({extent}, grad.scalar_type());
    result = core::alias_with(result, base_.sizes, base_.strides, 0);
    result.copy_(grad);
    Tensor slice = as_strided_view(result, view_);
    variable_list fn_grads(fn_->num_inputs());
    fn_grads[fn_output_] = slice.clone();
    variable_list res = fn_->apply(std::move(fn_grads));
    if (res.size() > 0 && res[0].defined()) {
      Tensor r0 = res[0].sizes() == slice.sizes() ? res[0] : res[0].reshape(slice.sizes());
      slice.copy_(r0);
    } else {
      slice.zero_();
    }
    out[0] = result;
    for (size_t i = 1; i < out.size() && i < res.size(); ++i) out[i] = std::move(res[i]);
    return out;
  }

 private:
  Geometry base_, view_;
  std::shared_ptr<Node> fn_;
  uint32_t fn_output_;
};

}  // namespace

void write_inplace_result(Tensor& dst, const Tensor& src) {
  NABLA_CHECK(core::can_cast(src.scalar_type(), dst.scalar_type()), "result type ", scalarTypeName(src.scalar_type()),
              " can't be cast to the desired output type ", scalarTypeName(dst.scalar_type()));
  if (!dst.is_same(src)) kernels::copy_(dst, src);
  dst.impl()->bump_version();
}

void move_retain_hook(AutogradMeta& meta, Node* from, Node& to) {
  if (!meta.retains_grad) return;
  GradHook moved{};
  bool found = false;
  if (from) {
    auto& hs = from->hooks();
    for (auto it = hs.begin(); it != hs.end(); ++it) {
      if (it->retain_cell && it->retain_cell == meta.nonleaf_grad) {
        moved = std::move(*it);
        hs.erase(it);
        found = true;
        break;
      }
    }
  }
  if (!found) return;
  moved.input_nr = meta.output_nr;
  to.hooks().push_back(std::move(moved));
}

void rebase_history(Tensor& self, const std::shared_ptr<Node>& node, uint32_t output_nr) {
  auto& meta = self.impl()->ensure_autograd_meta();
  node->set_input_metadata(output_nr, self);
  std::shared_ptr<Node> old = meta.grad_fn;
  if (meta.base.defined()) {
    Tensor base = meta.base;
    auto& bmeta = base.impl()->ensure_autograd_meta();
    std::shared_ptr<Node> old_base = bmeta.grad_fn;
    auto copy_slices = make_node<CopySlices>(base, self, node, output_nr);
    set_history(base, copy_slices, 0);
    move_retain_hook(bmeta, old_base.get(), *copy_slices);
    auto view_fn = make_as_strided_node(base, self);
    set_history(self, view_fn, 0);
    move_retain_hook(meta, old.get(), *view_fn);
    return;
  }
  set_history(self, node, output_nr);
  move_retain_hook(meta, old.get(), *node);
}

void refresh_view_grad_fn(const Tensor& t, AutogradMeta& meta) {
  const uint32_t version = t._version();
  if (meta.view_version == version) return;
  auto* bm = meta.base.impl()->autograd_meta();
  if (!bm || !(bm->requires_grad || bm->grad_fn)) return;
  std::shared_ptr<Node> old = meta.grad_fn;
  auto fn = make_as_strided_node(meta.base, t);
  meta.grad_fn = fn;
  meta.output_nr = 0;
  meta.requires_grad = false;
  meta.view_version = version;
  move_retain_hook(meta, old.get(), *fn);
}

}  // namespace nabla::autograd
