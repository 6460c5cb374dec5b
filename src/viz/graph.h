#pragma once
// The graph nabla::viz draws, built once from the autograd graph and then written as DOT,
// JSON or HTML (Note [What a graph picture shows] in graph.cpp).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nabla/viz.h"

namespace nabla::viz::detail {

enum class NodeKind { Root, Function, Leaf, Saved, Constant };

/// "root", "function", "leaf", "saved" or "constant".
const char* kind_name(NodeKind k);

struct GraphNode {
  std::string id;
  NodeKind kind = NodeKind::Function;
  /// First line of the label: the op, or the tensor's name.
  std::string title;
  /// Further lines of the label (shape and dtype, gradient, versions, ...).
  std::vector<std::string> lines;
  /// Everything known about the node, one line each (hover text, HTML details).
  std::vector<std::string> details;
  /// Whether a gradient flows through this node in a backward from the roots.
  bool needs_grad = true;
  bool is_root = false;
  /// Attributes for JSON (op, name, shape, dtype, grad, versions, ...).
  nlohmann::json attrs = nlohmann::json::object();
};

struct GraphEdge {
  size_t source = 0;
  size_t target = 0;
  /// "data" (input → op), "output" (op → root tensor), "saved" (saved tensor → op).
  const char* kind = "data";
  /// For data edges: which input of the target, and which output of the source.
  int64_t input_nr = -1;
  int64_t output_nr = -1;
  /// Whether to print output_nr on the arrow (the source has several outputs).
  bool label_output = false;
};

struct Graph {
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
};

/// Walks the backward graph from the roots (iteratively: graphs may be long).
Graph build_graph(const std::vector<Tensor>& roots, const GraphOptions& options);

std::string dot_text(const Graph& g);
nlohmann::json json_value(const Graph& g);

/// Values of a small tensor ("[[1., 2.], [3., 4.]]"), or "min … mean … max …" of a larger one.
std::string format_values(const Tensor& t, int64_t max_elements);
/// "[2, 3] float32".
std::string shape_dtype(const Tensor& t);

}  // namespace nabla::viz::detail
