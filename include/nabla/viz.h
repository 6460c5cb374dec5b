#pragma once
/// nabla::viz — pictures of the backward graph (what torchviz's make_dot draws for PyTorch).
///
///   auto L = 10 - (w3 * (w1 * a) + w4 * (w2 * a));
///   L.backward();
///   nabla::viz::render(L, "graphs/L.svg", nabla::viz::GraphOptions().show_grads(true));
///
/// Every backward function reachable from the given tensors is one node (`MulBackward0`);
/// leaves are drawn as the tensors they are (name, shape, dtype), the given tensors are
/// highlighted, and inputs and nodes whose gradient is not needed are grey. Arrows point the
/// way data flowed in the forward pass (input → op); gradients flow against them.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::viz {

/// What a graph picture shows besides ops, leaves and arrows (libtorch-style chained setters):
///   GraphOptions().names({{"x", x}, {"w", w}}).show_saved(true).show_grads(true)
class GraphOptions {
 public:
  /// Names for tensors: leaves, the roots, or intermediate results (shown on the node that
  /// made them). They take precedence over Tensor::name(), which names leaves and roots.
  GraphOptions& names(std::vector<std::pair<std::string, Tensor>> names) {
    names_ = std::move(names);
    return *this;
  }
  const std::vector<std::pair<std::string, Tensor>>& names() const { return names_; }

  /// Show the tensors each node saved for backward: shape and dtype, or that they were freed.
  GraphOptions& show_saved(bool on) {
    show_saved_ = on;
    return *this;
  }
  bool show_saved() const { return show_saved_; }

  /// Show version counters: of leaves and roots, and of saved tensors when saved vs. now.
  GraphOptions& show_versions(bool on) {
    show_versions_ = on;
    return *this;
  }
  bool show_versions() const { return show_versions_; }

  /// Show each leaf's .grad() (after backward): values of small tensors, min/mean/max of
  /// larger ones.
  GraphOptions& show_grads(bool on) {
    show_grads_ = on;
    return *this;
  }
  bool show_grads() const { return show_grads_; }

  /// Draw the inputs of an op that need no gradient (constants, data) as grey nodes.
  GraphOptions& show_constants(bool on) {
    show_constants_ = on;
    return *this;
  }
  bool show_constants() const { return show_constants_; }

  /// Tensors with at most this many elements have their values printed; larger ones are
  /// summarised as min/mean/max.
  GraphOptions& max_elements(int64_t n) {
    max_elements_ = n;
    return *this;
  }
  int64_t max_elements() const { return max_elements_; }

 private:
  std::vector<std::pair<std::string, Tensor>> names_;
  bool show_saved_ = false;
  bool show_versions_ = false;
  bool show_grads_ = false;
  bool show_constants_ = true;
  int64_t max_elements_ = 16;
};

/// Graphviz DOT text of the backward graph reachable from `root`:
///   std::string dot = nabla::viz::to_dot(loss);
std::string to_dot(const Tensor& root, const GraphOptions& options = {});
/// The same for several roots (each highlighted): to_dot({loss1, loss2}).
std::string to_dot(const std::vector<Tensor>& roots, const GraphOptions& options = {});

/// The same graph as JSON, for other tools: {"nodes": [...], "edges": [...]}; every node has
/// an "id", a "kind" (root, function, leaf, saved, constant), a "label", "needs_grad", and
/// the attributes the picture shows (op, name, shape, dtype, grad, versions, saved tensors);
/// every edge a "source", a "target" and a "kind" (data, saved, output).
///   std::string json = nabla::viz::to_json(loss);
std::string to_json(const Tensor& root, const GraphOptions& options = {});
std::string to_json(const std::vector<Tensor>& roots, const GraphOptions& options = {});

/// Writes the graph to `path`, by its extension: .dot (DOT text), .svg, .png or .pdf
/// (rendered by Graphviz's `dot`), or .html (one self-contained page: the SVG inline, with
/// details of each node on hover; opens in a browser without a server). The DOT text is
/// always written next to it as `<stem>.dot`. Files are replaced atomically (written to a
/// temporary file, then renamed). Throws nabla::Error naming the Debian package `graphviz`
/// when `dot` is not on PATH.
///   nabla::viz::render(loss, "graph.svg");
void render(const Tensor& root, const std::string& path, const GraphOptions& options = {});
void render(const std::vector<Tensor>& roots, const std::string& path, const GraphOptions& options = {});

}  // namespace nabla::viz
