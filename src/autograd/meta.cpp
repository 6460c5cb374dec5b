// The autograd half of Tensor: requires_grad, grad, grad_fn, hooks, detach, and how an op's
// output joins the graph.
#include "nabla/autograd/meta.h"

#include <atomic>
#include <mutex>

#include "autograd/op.h"
#include "autograd/view.h"
#include "core/internal.h"
#include "nabla/autograd.h"
#include "nabla/warning.h"

namespace nabla {

using autograd::AutogradMeta;

namespace autograd {

unsigned next_hook_id() {
  static std::atomic<unsigned> id{0};
  return id.fetch_add(1, std::memory_order_relaxed);
}

const std::shared_ptr<Node>& current_grad_fn(const Tensor& t, AutogradMeta* meta) {
  if (meta->base.defined()) refresh_view_grad_fn(t, *meta);
  return meta->grad_fn;
}

Edge gradient_edge(const Tensor& t) {
  auto* meta = t.impl()->autograd_meta();
  if (!meta) return Edge();
  if (const auto& fn = current_grad_fn(t, meta)) return Edge(fn, meta->output_nr);
  if (meta->requires_grad) return Edge(grad_accumulator(t), 0);
  return Edge();
}

std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  auto& meta = leaf.impl()->ensure_autograd_meta();
  std::lock_guard<std::mutex> lock(meta.mutex);
  if (auto acc = meta.grad_accumulator.lock()) return acc;
  std::shared_ptr<Node> acc = make_node<AccumulateGrad>(leaf);
  meta.grad_accumulator = acc;
  return acc;
}

void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr) {
  auto& meta = t.impl()->ensure_autograd_meta();
  meta.grad_fn = fn;
  meta.output_nr = output_nr;
  meta.requires_grad = false;  // implied by grad_fn
  if (meta.base.defined()) meta.view_version = t._version();
}

namespace detail {
void set_output_history(const std::shared_ptr<Node>& node, const Tensor& out, uint32_t nr) {
  if (!out.defined()) {
    node->set_input_metadata(nr, core::empty({0}, kFloat));
    return;
  }
  node->set_input_metadata(nr, out);
  if (!isFloatingType(out.scalar_type())) return;
  set_history(out, node, nr);
}
void set_view_base(const Tensor& out, const Tensor& input) {
  if (!out.defined() || !input.defined()) return;
  auto* im = input.impl()->autograd_meta();
  auto& meta = out.impl()->ensure_autograd_meta();
  meta.base = im && im->base.defined() ? im->base : input;
  meta.view_version = out._version();
}
void set_view_base(const std::vector<Tensor>& outs, const Tensor& input) {
  for (const auto& o : outs) set_view_base(o, input);
}
}  // namespace detail

Tensor Ctx::prepare(const Tensor& t) const {
  if (inplace_target_ && t.defined() && t.unsafeGetTensorImpl() == inplace_target_) {
    // The op will overwrite self: keep the value it had (PyTorch's original_self), recorded
    // (forward runs with grad mode off; the node being built means it was on), so that double
    // backward sees how the copy depends on self. Another tensor sharing self's memory, or
    // self saved again as another argument (x.mul_(x)), is saved as is: its version check
    // then fails in backward, as in PyTorch.
    inplace_target_ = nullptr;
    AutoGradMode on(true);
    return t.clone();
  }
  return t;
}

void check_inplace(const Tensor& self) {
  if (!GradMode::is_enabled()) return;
  auto* meta = self.impl()->autograd_meta();
  if (!meta) return;
  if (meta->base.defined()) {
    auto* bm = meta->base.impl()->autograd_meta();
    NABLA_CHECK(!(bm && bm->requires_grad && !bm->grad_fn),
                "a view of a leaf Variable that requires grad is being used in an in-place operation.");
  }
  NABLA_CHECK(!(meta->requires_grad && !current_grad_fn(self, meta)),
              "a leaf Variable that requires grad is being used in an in-place operation.");
}

}  // namespace autograd

// ---- Tensor's autograd methods --------------------------------------------------------------

namespace {
const std::shared_ptr<autograd::Node>& grad_fn_of(const Tensor& t, AutogradMeta* meta) {
  return autograd::current_grad_fn(t, meta);
}

// The hook retain_grad() installs: keeps (a copy of) the gradient in the tensor's cell, as
// PyTorch's retain_grad hook does — cloned the first time, summed afterwards.
std::function<Tensor(const Tensor&)> retain_hook(std::shared_ptr<Tensor> cell) {
  return [cell = std::move(cell)](const Tensor& g) {
    *cell = cell->defined() ? *cell + g : g.clone();
    return Tensor();
  };
}
}  // namespace

bool Tensor::requires_grad() const {
  auto* meta = checked()->autograd_meta();
  return meta && (meta->requires_grad || grad_fn_of(*this, meta));
}

Tensor& Tensor::requires_grad_(bool requires_grad) const {
  auto* impl = checked();
  NABLA_CHECK(!requires_grad || isFloatingType(impl->dtype()),
              "only Tensors of floating point dtype can require gradients");
  auto* meta = impl->autograd_meta();
  if (meta && grad_fn_of(*this, meta)) {
    NABLA_CHECK(requires_grad,
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().");
    return self();
  }
  if (!meta && !requires_grad) return self();
  impl->ensure_autograd_meta().requires_grad = requires_grad;
  return self();
}

const Tensor& Tensor::grad() const {
  static const Tensor undefined;
  auto* meta = checked()->autograd_meta();
  if (!meta) return undefined;
  if (!grad_fn_of(*this, meta)) return meta->grad;
  if (meta->nonleaf_grad && meta->nonleaf_grad->defined()) return *meta->nonleaf_grad;
  if (!meta->retains_grad) {
    warn(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
        "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
        "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
        "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
        "instead. See github.com/pytorch/pytorch/pull/30531 for more informations.");
  }
  return undefined;
}

Tensor& Tensor::mutable_grad() const {
  auto& meta = checked()->ensure_autograd_meta();
  if (!grad_fn_of(*this, &meta)) return meta.grad;
  if (!meta.nonleaf_grad) meta.nonleaf_grad = std::make_shared<Tensor>();
  return *meta.nonleaf_grad;
}

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<autograd::Node> none;
  auto* meta = checked()->autograd_meta();
  return meta ? grad_fn_of(*this, meta) : none;
}

bool Tensor::is_leaf() const {
  auto* meta = checked()->autograd_meta();
  return !meta || !grad_fn_of(*this, meta);
}

uint32_t Tensor::output_nr() const {
  auto* meta = checked()->autograd_meta();
  return meta ? meta->output_nr : 0;
}

Tensor Tensor::detach() const {
  // Shares storage (and so the version counter) but no autograd history.
  return core::alias(*this);
}

void Tensor::set_data(const Tensor& new_data) const {
  TensorImpl* self = checked();
  TensorImpl* src = new_data.checked();
  self->set_storage(src->storage());
  self->set_dtype(src->dtype());
  self->set_geometry(src->sizes(), src->strides(), src->storage_offset());
}

Tensor& Tensor::detach_() const {
  auto* meta = checked()->autograd_meta();
  if (meta) {
    NABLA_CHECK(!meta->base.defined() || !grad_fn_of(*this, meta),
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel "
                "(DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP "
                "buckets, and hence detach_() cannot be called on these gradients. To fix this error, please "
                "refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.");
    meta->grad_fn.reset();
    meta->requires_grad = false;
    meta->output_nr = 0;
  }
  return self();
}

void Tensor::retain_grad() const {
  NABLA_CHECK(requires_grad(), "can't retain_grad on Tensor that has requires_grad=False");
  auto* meta = checked()->autograd_meta();
  const auto& fn = grad_fn_of(*this, meta);
  if (!fn || meta->retains_grad) return;  // leaves keep .grad anyway
  if (!meta->nonleaf_grad) meta->nonleaf_grad = std::make_shared<Tensor>();
  meta->retains_grad = true;
  fn->hooks().push_back(autograd::GradHook{autograd::next_hook_id(), meta->output_nr, retain_hook(meta->nonleaf_grad),
                                           meta->nonleaf_grad});
}

bool Tensor::retains_grad() const {
  auto* meta = checked()->autograd_meta();
  return meta && grad_fn_of(*this, meta) && meta->retains_grad;
}

unsigned Tensor::add_hook(std::function<Tensor(const Tensor&)> hook) const {
  NABLA_CHECK(requires_grad(), "cannot register a hook on a tensor that doesn't require gradient");
  auto* meta = checked()->autograd_meta();
  unsigned id = autograd::next_hook_id();
  if (const auto& fn = grad_fn_of(*this, meta))
    fn->hooks().push_back(autograd::GradHook{id, meta->output_nr, std::move(hook), nullptr});
  else
    meta->leaf_hooks.push_back(autograd::LeafHook{id, std::move(hook)});
  return id;
}

void Tensor::remove_hook(unsigned handle) const {
  auto* meta = checked()->autograd_meta();
  if (!meta) return;
  std::erase_if(meta->leaf_hooks, [&](const auto& h) { return h.id == handle; });
  if (const auto& fn = grad_fn_of(*this, meta))
    std::erase_if(fn->hooks(), [&](const auto& h) { return h.id == handle && !h.retain_cell; });
}

Tensor& Tensor::set_name(const std::string& name) const {
  checked()->ensure_autograd_meta().name = name;
  return self();
}

std::string Tensor::name() const {
  auto* meta = checked()->autograd_meta();
  return meta ? meta->name : std::string();
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      std::optional<std::vector<Tensor>> inputs) const {
  NABLA_CHECK(!inputs || !inputs->empty(), "'inputs' argument to backward() cannot be empty.");
  autograd::backward({*this}, gradient.defined() ? autograd::variable_list{gradient} : autograd::variable_list{},
                     retain_graph, create_graph, inputs.value_or(autograd::variable_list{}));
}

}  // namespace nabla
