#pragma once
/// Node: one backward function in the graph (`grad_fn`). Its name follows PyTorch's
/// (`MulBackward0`), `next_edges()` lead to the nodes of the op's inputs (AccumulateGrad for
/// leaves), and `apply` maps gradients of the op's outputs to gradients of its inputs.
#include <cstdint>
#include <functional>
#include <memory>
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

/// A gradient hook attached to one input of a node (a tensor hook of a non-leaf).
struct GradHook {
  unsigned id;
  uint32_t input_nr;
  std::function<Tensor(const Tensor&)> fn;
};

struct Node : std::enable_shared_from_this<Node> {
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// PyTorch's name of this backward function, e.g. "MulBackward0".
  virtual std::string name() const = 0;
  /// Gradients of the outputs of the forward op → gradients of its inputs (one per next edge).
  virtual variable_list apply(variable_list&& grads) = 0;
  /// Frees saved tensors (after a backward without retain_graph).
  virtual void release_variables() {}
  /// Runs the gradient hooks of this node's inputs (tensor hooks, retain_grad) on the
  /// gradients about to be passed to apply; a hook may replace a gradient.
  virtual void call_pre_hooks(variable_list& grads);

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  const Edge& next_edge(size_t i) const { return next_edges_[i]; }
  size_t num_outputs() const { return next_edges_.size(); }
  size_t num_inputs() const { return input_metadata_.size(); }
  const InputMetadata& input_metadata(size_t i) const { return input_metadata_[i]; }
  uint64_t sequence_nr() const { return sequence_nr_; }
  /// Whether the gradient for input i of the forward op is needed.
  bool should_compute_output(size_t i) const { return i < next_edges_.size() && next_edges_[i].is_valid(); }

  // Used by the op machinery and the engine.
  std::vector<Edge>& mutable_next_edges() { return next_edges_; }
  uint32_t add_input_metadata(const Tensor& t);
  void set_input_metadata(uint32_t nr, const Tensor& t);
  std::vector<GradHook>& hooks() { return hooks_; }
  /// Cells where retain_grad() of a non-leaf output keeps its gradient (index: input_nr).
  std::vector<std::pair<uint32_t, std::shared_ptr<Tensor>>>& retained_grads() { return retained_; }
  /// What anomaly mode recorded about the forward op that created this node.
  const std::string& anomaly_trace() const { return anomaly_trace_; }
  void set_anomaly_trace(std::string s) { anomaly_trace_ = std::move(s); }

 protected:
  std::vector<Edge> next_edges_;
  std::vector<InputMetadata> input_metadata_;
  std::vector<GradHook> hooks_;
  std::vector<std::pair<uint32_t, std::shared_ptr<Tensor>>> retained_;
  std::string anomaly_trace_;
  uint64_t sequence_nr_;
};

/// Creates a node owned by a shared_ptr whose deleter frees long chains iteratively, so that
/// destroying a graph of a million nodes does not overflow the stack.
void delete_node(Node* n);
template <typename T, typename... Args>
std::shared_ptr<T> make_node(Args&&... args) {
  return std::shared_ptr<T>(new T(std::forward<Args>(args)...), [](T* p) { delete_node(p); });
}

/// The sink of a leaf: adds arriving gradients into the leaf's .grad().
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
