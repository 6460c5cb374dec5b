// The backward engine: dependency counting over the graph reachable from the roots, input
// buffers that sum gradients arriving on several paths, and a ready stack — no recursion, so
// graphs of any depth run in constant stack space.
#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "autograd/op.h"
#include "core/internal.h"
#include "nabla/autograd.h"
#include "nabla/functions.h"

namespace nabla::autograd {

namespace {

thread_local bool t_anomaly = false;

// The node the engine starts from: it passes the root gradients along the root edges.
struct GraphRoot final : Node {
  GraphRoot(std::vector<Edge> edges, variable_list grads) : grads_(std::move(grads)) {
    next_edges_ = std::move(edges);
  }
  std::string name() const override { return "GraphRoot"; }
  variable_list apply(variable_list&&) override { return grads_; }

 private:
  variable_list grads_;
};

// Note [Gradients are summed to the input's shape]
// A backward formula may return a gradient in the broadcast shape of the op (e.g. a + b with
// a: [3, 1], b: [4]); each node records the shape and dtype of the tensors its forward op
// produced, and the engine reduces every gradient to the receiving input's shape (summing
// the broadcast dims) and dtype before buffering it. Backward formulas never reduce.
Tensor sum_to_shape(const Tensor& g, IntArrayRef shape) {
  if (g.sizes() == shape) return g;
  int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  NABLA_CHECK(lead >= 0, "invalid gradient: got ", g.sizes(), " but expected shape compatible with ", shape);
  DimVector dims;
  for (int64_t i = 0; i < lead; ++i) dims.push_back(i);
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t gs = g.size(lead + static_cast<int64_t>(i));
    if (shape[i] == 1 && gs != 1) {
      dims.push_back(lead + static_cast<int64_t>(i));
    } else {
      NABLA_CHECK(shape[i] == gs, "invalid gradient: got ", g.sizes(),
                  " but expected shape compatible with ", shape);
    }
  }
  Tensor r = dims.empty() ? g : g.sum(dims, /*keepdim=*/true);
  return r.view(shape);
}

void check_nan(Node* n, const variable_list& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& g = outputs[i];
    if (!g.defined() || !g.is_floating_point()) continue;
    bool bad = false;
    {
      AutoGradMode off(false);
      Tensor c = g.detach().to(kDouble).contiguous();
      const double* p = c.data_ptr<double>();
      for (int64_t k = 0; k < c.numel() && !bad; ++k) bad = std::isnan(p[k]);
    }
    if (bad) {
      throw Error(nabla::detail::str("Function '", n->name(), "' returned nan values in its ", i,
                              "th output. ", n->anomaly_trace()));
    }
  }
}

struct Target {
  Node* fn;
  uint32_t nr;
};

// Which nodes must run for the gradients at `targets` to be complete: a node runs when one of
// its next edges leads to a target node or to a node that runs. Iterative post-order DFS.
std::unordered_set<Node*> needed_nodes(Node* root, const std::unordered_set<Node*>& target_nodes) {
  std::unordered_set<Node*> needed, visited;
  struct Frame {
    Node* n;
    size_t next;
  };
  std::vector<Frame> stack{{root, 0}};
  visited.insert(root);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next < f.n->num_outputs()) {
      const Edge& e = f.n->next_edge(f.next++);
      Node* c = e.function.get();
      if (c && visited.insert(c).second) stack.push_back({c, 0});
      continue;
    }
    Node* n = f.n;
    stack.pop_back();
    for (const Edge& e : n->next_edges()) {
      Node* c = e.function.get();
      if (c && (target_nodes.count(c) || needed.count(c))) {
        needed.insert(n);
        break;
      }
    }
  }
  return needed;
}

// Runs the graph from `root`. `targets` (may be empty) are the inputs whose gradients are
// captured and returned; with `accumulate`, AccumulateGrad nodes run (only those among the
// targets when targets are given) and nothing is captured.
variable_list execute(GraphRoot& root, bool keep_graph, bool create_graph, const std::vector<Target>& targets,
                      bool accumulate) {
  // Dependencies: how many edges from reachable nodes lead into each node.
  std::unordered_map<Node*, int> deps;
  {
    std::unordered_set<Node*> seen{&root};
    std::vector<Node*> stack{&root};
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      for (const Edge& e : n->next_edges()) {
        Node* c = e.function.get();
        if (!c) continue;
        ++deps[c];
        if (seen.insert(c).second) stack.push_back(c);
      }
    }
  }
  std::unordered_set<Node*> target_nodes;
  for (const auto& t : targets) target_nodes.insert(t.fn);
  const bool filtered = !targets.empty();
  std::unordered_set<Node*> needed;
  if (filtered) needed = needed_nodes(&root, target_nodes);

  variable_list captured(accumulate ? 0 : targets.size());
  std::unordered_map<Node*, variable_list> buffers;
  std::vector<Node*> ready{&root};
  AutoGradMode mode(create_graph);

  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    variable_list inputs;
    if (n != &root) {
      auto it = buffers.find(n);
      if (it != buffers.end()) {
        inputs = std::move(it->second);
        buffers.erase(it);
      }
      inputs.resize(n->num_inputs());
      n->call_pre_hooks(inputs);
    }
    bool run;
    if (!filtered) {
      run = true;
    } else if (target_nodes.count(n)) {
      if (!accumulate) {
        for (size_t i = 0; i < targets.size(); ++i)
          if (targets[i].fn == n) captured[i] = inputs[targets[i].nr];
      }
      run = needed.count(n) > 0 || accumulate;
    } else {
      run = needed.count(n) > 0 || n == &root;
    }
    bool is_accumulate = dynamic_cast<AccumulateGrad*>(n) != nullptr;
    if (!run || (is_accumulate && !accumulate)) continue;

    // A node that received no gradient at all passes none on (its children still count it).
    bool any = n == &root;
    for (const auto& g : inputs) any = any || g.defined();
    variable_list outputs;
    if (any) {
      outputs = n->apply(std::move(inputs));
      if (!keep_graph) n->release_variables();
      if (AnomalyMode::is_enabled()) check_nan(n, outputs);
      NABLA_CHECK(outputs.size() == n->num_outputs() || outputs.empty(), "Function ", n->name(),
                  " returned an incorrect number of gradients (expected ", n->num_outputs(), ", got ",
                  outputs.size(), ")");
    }

    for (size_t i = 0; i < n->num_outputs(); ++i) {
      const Edge& e = n->next_edge(i);
      Node* c = e.function.get();
      if (!c) continue;
      if (i < outputs.size() && outputs[i].defined()) {
        Tensor g = std::move(outputs[i]);
        const InputMetadata& meta = c->input_metadata(e.input_nr);
        if (g.sizes() != meta.shape.ref()) g = sum_to_shape(g, meta.shape);
        if (g.scalar_type() != meta.dtype) g = g.to(meta.dtype);
        auto& buf = buffers[c];
        if (buf.size() < c->num_inputs()) buf.resize(c->num_inputs());
        Tensor& slot = buf[e.input_nr];
        slot = slot.defined() ? slot + g : std::move(g);
      }
      if (--deps[c] == 0) ready.push_back(c);
    }
  }
  return captured;
}

Edge root_edge(const Tensor& t, size_t i) {
  NABLA_CHECK(t.requires_grad(), "element ", i, " of tensors does not require grad and does not have a grad_fn");
  return gradient_edge(t);
}

void make_roots(const variable_list& outputs, const variable_list& grad_outputs, std::vector<Edge>& edges,
                variable_list& grads) {
  NABLA_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "grad_tensors has ",
              grad_outputs.size(), " elements but tensors has ", outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    edges.push_back(root_edge(out, i));
    Tensor g = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!g.defined()) {
      NABLA_CHECK(out.numel() == 1, "grad can be implicitly created only for scalar outputs");
      g = ones_like(out);
    } else {
      NABLA_CHECK(g.sizes() == out.sizes(), "Mismatch in shape: grad_output[", i, "] has a shape of torch.Size(",
                  g.sizes(), ") and output[", i, "] has a shape of torch.Size(", out.sizes(), ").");
    }
    grads.push_back(std::move(g));
  }
}

}  // namespace

bool anomaly_mode_enabled() { return t_anomaly; }
bool AnomalyMode::is_enabled() { return t_anomaly; }
void AnomalyMode::set_enabled(bool enabled) { t_anomaly = enabled; }
DetectAnomalyGuard::DetectAnomalyGuard(bool) : prev_(t_anomaly) { t_anomaly = true; }
DetectAnomalyGuard::~DetectAnomalyGuard() { t_anomaly = prev_; }

namespace detail {
void record_anomaly(Node* node) {
  std::string name = node->name();
  auto pos = name.find("Backward");
  std::string op = pos == std::string::npos ? name : name.substr(0, pos);
  node->set_anomaly_trace(nabla::detail::str("Error detected in ", name, ", created by the forward op '", op,
                                      "' (sequence number ", node->sequence_nr(), ")."));
}
}  // namespace detail

void backward(const variable_list& tensors, const variable_list& grad_tensors, std::optional<bool> retain_graph,
              bool create_graph, const variable_list& inputs) {
  std::vector<Edge> edges;
  variable_list grads;
  make_roots(tensors, grad_tensors, edges, grads);
  std::vector<Target> targets;
  for (const auto& in : inputs) {
    NABLA_CHECK(in.requires_grad(), "One of the differentiated Tensors does not require grad");
    Edge e = gradient_edge(in);
    NABLA_CHECK(in.is_leaf(), "backward(inputs=...) with a non-leaf tensor is not supported; "
                              "call retain_grad() on it and backward without inputs");
    targets.push_back({e.function.get(), e.input_nr});
  }
  GraphRoot root(std::move(edges), std::move(grads));
  execute(root, retain_graph.value_or(create_graph), create_graph, targets, /*accumulate=*/true);
}

variable_list grad(const variable_list& outputs, const variable_list& inputs, const variable_list& grad_outputs,
                   std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
  std::vector<Edge> edges;
  variable_list grads;
  make_roots(outputs, grad_outputs, edges, grads);
  std::vector<Target> targets;
  std::vector<Edge> keep;  // holds the inputs' AccumulateGrad nodes alive during the run
  for (const auto& in : inputs) {
    NABLA_CHECK(in.requires_grad(), "One of the differentiated Tensors does not require grad");
    Edge e = gradient_edge(in);
    targets.push_back({e.function.get(), e.input_nr});
    keep.push_back(std::move(e));
  }
  GraphRoot root(std::move(edges), std::move(grads));
  variable_list result = execute(root, retain_graph.value_or(create_graph), create_graph, targets, false);
  for (size_t i = 0; i < result.size(); ++i) {
    NABLA_CHECK(result[i].defined() || allow_unused,
                "One of the differentiated Tensors appears to not have been used in the graph. Set "
                "allow_unused=True if this is the desired behavior.");
  }
  return result;
}

}  // namespace nabla::autograd
