#pragma once
/// Node: one backward function in the graph (`grad_fn`). Its name follows PyTorch's
/// (`MulBackward0`), `next_edges()` lead to the nodes of the op's inputs (AccumulateGrad for
/// leaves), and `apply` maps gradients of the op's outputs to gradients of its inputs.
///   auto y = x * 2;
///   y.grad_fn()->name();                          // "MulBackward0"
///   y.grad_fn()->next_edges()[0].function->name(); // "torch::autograd::AccumulateGrad"
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::autograd {

using variable_list = std::vector<Tensor>;
using tensor_list = std::vector<Tensor>;

struct Node;

/// An input of a node: which node receives the gradient, and as which of its inputs.
struct Edge {
  Edge() = default;
  Edge(std::shared_ptr<Node> fn, uint32_t nr) : function(std::move(fn)), input_nr(nr) {}
  bool is_valid() const { return function != nullptr; }
  std::shared_ptr<Node> function;
  uint32_t input_nr = 0;
};

/// Shape and dtype of the tensor whose gradient arrives at a node input; the engine sums
/// incoming gradients to this shape (Note [Gradients are summed to the input's shape]).
struct InputMetadata {
  DimVector shape;
  ScalarType dtype = kFloat;
};

/// A gradient hook attached to one input of a node: a tensor hook of a non-leaf, or the
/// hook retain_grad() installs (then `retain_cell` is where it keeps the gradient).
struct GradHook {
  unsigned id;
  uint32_t input_nr;
  std::function<Tensor(const Tensor&)> fn;
  std::shared_ptr<Tensor> retain_cell;
};

/// A tensor a node saved for backward, as graph pictures show it (nabla::viz).
struct SavedInfo {
  /// The saved tensor; undefined once a backward without retain_graph freed it.
  Tensor data;
  /// The tensor's version counter when it was saved (data._version() is the current one).
  uint32_t saved_version = 0;
  /// Whether it is an output of the node's forward op (saved with save_output).
  bool is_output = false;
  /// Whether a backward freed it.
  bool freed = false;
};

struct Node : std::enable_shared_from_this<Node> {
  Node();
  /// Frees the graph behind this node iteratively (Note [Destroying long graphs]).
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// PyTorch's name of this backward function, e.g. "MulBackward0".
  virtual std::string name() const = 0;
  /// Gradients of the outputs of the forward op → gradients of its inputs (one per next edge).
  virtual variable_list apply(variable_list&& grads) = 0;
  /// Frees saved tensors (after a backward without retain_graph).
  virtual void release_variables() {}
  /// The tensors this node saved for backward (shown by nabla::viz).
  virtual std::vector<SavedInfo> saved_info() const { return {}; }
  /// Runs the gradient hooks of this node's inputs (tensor hooks and retain_grad, in the
  /// order they were registered) on the gradients about to be passed to apply; a hook may
  /// replace a gradient.
  virtual void call_pre_hooks(variable_list& grads);

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  const Edge& next_edge(size_t i) const { return next_edges_[i]; }
  /// Number of gradients apply returns (PyTorch's num_outputs: one per next edge).
  size_t num_outputs() const { return next_edges_.size(); }
  /// Number of gradients apply receives (one per output of the forward op).
  size_t num_inputs() const { return num_inputs_; }
  const InputMetadata& input_metadata(size_t i) const { return i == 0 ? first_input_ : more_inputs_[i - 1]; }
  uint64_t sequence_nr() const { return sequence_nr_; }
  /// Whether the gradient for input i of the forward op is needed.
  bool should_compute_output(size_t i) const { return i < next_edges_.size() && next_edges_[i].is_valid(); }
  /// Whether this node is the AccumulateGrad of a leaf.
  bool is_accumulate_grad() const { return is_accumulate_grad_; }

  // Used by the op machinery and the engine.
  std::vector<Edge>& mutable_next_edges() { return next_edges_; }
  uint32_t add_input_metadata(const Tensor& t);
  void set_input_metadata(uint32_t nr, const Tensor& t);
  std::vector<GradHook>& hooks() { return hooks_; }
  /// What anomaly mode recorded about the forward op that created this node.
  const std::string& anomaly_trace() const { return anomaly_trace_; }
  void set_anomaly_trace(std::string s) { anomaly_trace_ = std::move(s); }

  /// Held by the engine while this node's hooks and apply run: backward passes on several
  /// threads may share a node (PyTorch allows it); its hooks, saved tensors and, for
  /// AccumulateGrad, the leaf's .grad() are then used by one at a time. Recursive, so that a
  /// backward started from inside apply (a custom Function) cannot deadlock.
  std::recursive_mutex& mutex() { return mutex_; }

 protected:
  std::vector<Edge> next_edges_;
  // Metadata of the gradients apply receives: the first inline (most ops have one output).
  uint32_t num_inputs_ = 0;
  InputMetadata first_input_;
  std::vector<InputMetadata> more_inputs_;
  std::vector<GradHook> hooks_;
  std::string anomaly_trace_;
  uint64_t sequence_nr_;
  bool is_accumulate_grad_ = false;
  std::recursive_mutex mutex_;
};

namespace detail {
/// Memory for nodes: recycled through per-thread free lists by size (a backward pass frees as
/// many nodes as the next forward pass creates, more than malloc's own caches hold).
void* allocate_node_memory(size_t bytes);
void free_node_memory(void* p, size_t bytes) noexcept;

template <typename T>
struct NodeAllocator {
  using value_type = T;
  NodeAllocator() = default;
  template <typename U>
  NodeAllocator(const NodeAllocator<U>&) {}  // NOLINT
  T* allocate(size_t n) { return static_cast<T*>(allocate_node_memory(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { free_node_memory(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const NodeAllocator<U>&) const {
    return true;
  }
};
}  // namespace detail

/// Creates a node (one allocation, from a pool, for the node and its reference count).
template <typename T, typename... Args>
std::shared_ptr<T> make_node(Args&&... args) {
  return std::allocate_shared<T>(detail::NodeAllocator<T>(), std::forward<Args>(args)...);
}

/// The sink of a leaf: adds arriving gradients into the leaf's .grad(), as PyTorch's
/// AccumulateGrad does (Note [AccumulateGrad]).
struct AccumulateGrad : Node {
  explicit AccumulateGrad(Tensor variable);
  std::string name() const override { return "torch::autograd::AccumulateGrad"; }
  variable_list apply(variable_list&& grads) override;
  void call_pre_hooks(variable_list& grads) override;
  /// The leaf tensor this node accumulates into.
  const Tensor& variable() const { return variable_; }

 private:
  Tensor variable_;
};

}  // namespace nabla::autograd
