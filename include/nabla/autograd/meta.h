#pragma once
/// AutogradMeta: the autograd half of a tensor — requires_grad, .grad(), grad_fn, hooks, and
/// for a view the tensor it views.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nabla/autograd/node.h"

namespace nabla::autograd {

struct LeafHook {
  unsigned id;
  std::function<Tensor(const Tensor&)> fn;
};

struct AutogradMeta {
  /// Pooled like nodes: every recorded op result gets one.
  static void* operator new(size_t bytes) { return detail::allocate_node_memory(bytes); }
  static void operator delete(void* p, size_t bytes) noexcept { detail::free_node_memory(p, bytes); }

  bool requires_grad = false;
  /// retain_grad() was called on this non-leaf.
  bool retains_grad = false;
  /// The gradient of a leaf.
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  /// The leaf's AccumulateGrad while some graph holds it; created under `mutex`, so that
  /// forward passes on several threads using one leaf share one node.
  std::weak_ptr<Node> grad_accumulator;
  std::mutex mutex;
  uint32_t output_nr = 0;
  /// A non-leaf's .grad(): where retain_grad() and backward(inputs=...) put its gradient
  /// (shared with the hook that writes it).
  std::shared_ptr<Tensor> nonleaf_grad;
  std::vector<LeafHook> leaf_hooks;
  std::string name;
  /// For a view: the tensor it views (PyTorch's _base), never itself a view.
  Tensor base;
  /// For a view: the version of the storage when grad_fn was last set; when the base is
  /// modified in place afterwards, grad_fn is regenerated (Note [In-place on views]).
  uint32_t view_version = 0;
};

/// The edge along which the gradient of `t` flows: (grad_fn, output_nr) for a non-leaf,
/// (AccumulateGrad, 0) for a leaf that requires grad, invalid otherwise.
Edge gradient_edge(const Tensor& t);
/// The AccumulateGrad node of a leaf (created on first use, then shared).
std::shared_ptr<Node> grad_accumulator(const Tensor& leaf);
/// Makes `t` the output `output_nr` of `fn` (sets grad_fn; requires_grad follows).
void set_history(const Tensor& t, const std::shared_ptr<Node>& fn, uint32_t output_nr);
/// A new hook id, unique in the process.
unsigned next_hook_id();

}  // namespace nabla::autograd
