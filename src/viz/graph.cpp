#include "viz/graph.h"

#include <cmath>
#include <deque>
#include <iomanip>
#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/internal.h"
#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/node.h"

namespace nabla::viz::detail {

// Note [What a graph picture shows]
// One node per backward function reachable from the roots (PyTorch's grad_fn chain), named
// as PyTorch names it. A leaf's AccumulateGrad is drawn as the leaf tensor itself (name,
// shape, dtype, and optionally its .grad()), as torchviz does. Each root gets a node of its
// own, highlighted, fed by its grad_fn; a root that is a leaf is highlighted in place. Inputs
// of an op that need no gradient (invalid edges: constants, data) are grey "no grad" nodes,
// and a node is grey when no gradient reaches a leaf that requires grad through it (e.g. after
// requires_grad_(false) on the leaf). Saved tensors are orange nodes joined to their op by a
// dashed arrow. Arrows point the way data flowed forward (input → op): gradients flow against
// them.

const char* kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::Root: return "root";
    case NodeKind::Function: return "function";
    case NodeKind::Leaf: return "leaf";
    case NodeKind::Saved: return "saved";
    case NodeKind::Constant: return "constant";
  }
  return "function";
}

namespace {

std::string format_number(double v, bool floating) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os << std::setprecision(4) << v;
  std::string s = os.str();
  if (floating && s.find_first_of(".e") == std::string::npos) s += ".";
  return s;
}

void format_dim(std::ostringstream& os, const double* data, IntArrayRef sizes, size_t dim, int64_t& pos,
                bool floating) {
  if (dim == sizes.size()) {
    os << format_number(data[pos++], floating);
    return;
  }
  os << "[";
  for (int64_t i = 0; i < sizes[dim]; ++i) {
    if (i) os << ", ";
    format_dim(os, data, sizes, dim + 1, pos, floating);
  }
  os << "]";
}

nlohmann::json shape_json(IntArrayRef sizes) { return nlohmann::json(std::vector<int64_t>(sizes.begin(), sizes.end())); }

/// JSON of a tensor's values: all of them when small, min/mean/max otherwise.
nlohmann::json values_json(const Tensor& t, int64_t max_elements) {
  NoGradGuard no_grad;
  Tensor d = t.detach().to(kDouble).contiguous();
  nlohmann::json j = {{"shape", shape_json(t.sizes())}, {"dtype", std::string(toString(t.scalar_type()))}};
  if (d.numel() <= max_elements) {
    const double* p = d.data_ptr<double>();
    j["values"] = std::vector<double>(p, p + d.numel());
  } else {
    j["min"] = d.min().item<double>();
    j["mean"] = d.mean().item<double>();
    j["max"] = d.max().item<double>();
  }
  return j;
}

class Builder {
 public:
  explicit Builder(const GraphOptions& o) : opt_(o) {
    for (const auto& [name, t] : o.names()) {
      if (!t.defined()) continue;
      if (t.grad_fn()) {
        auto& n = output_names_[{t.grad_fn().get(), t.output_nr()}];
        n += n.empty() ? name : ", " + name;
      }
      names_.emplace(t.impl().get(), name);
    }
  }

  Graph build(const std::vector<Tensor>& roots) {
    // A named root shows its name on its own node, not again on its grad_fn.
    for (const auto& r : roots)
      if (r.defined() && r.grad_fn()) output_names_.erase({r.grad_fn().get(), r.output_nr()});
    for (const auto& r : roots) add_root(r);
    while (!queue_.empty()) {
      auto [fn, idx] = queue_.front();
      queue_.pop_front();
      expand(*fn, idx);
    }
    mark_needed();
    return std::move(g_);
  }

 private:
  size_t add_node(NodeKind kind, std::string title) {
    GraphNode n;
    n.id = "n" + std::to_string(g_.nodes.size());
    n.kind = kind;
    n.title = std::move(title);
    g_.nodes.push_back(std::move(n));
    children_.emplace_back();
    has_hooks_.push_back(false);
    owner_.push_back(-1);
    return g_.nodes.size() - 1;
  }

  void add_edge(size_t source, size_t target, const char* kind, int64_t input_nr = -1, int64_t output_nr = -1,
                bool label_output = false) {
    g_.edges.push_back(GraphEdge{source, target, kind, input_nr, output_nr, label_output});
  }

  std::string name_of(const Tensor& t) const {
    auto it = names_.find(t.impl().get());
    return it != names_.end() ? it->second : t.name();
  }

  /// Shape, dtype and version lines and attributes shared by roots and leaves.
  void describe_tensor(GraphNode& n, const Tensor& t, const std::string& name) {
    n.lines.push_back(shape_dtype(t));
    if (!name.empty()) n.attrs["name"] = name;
    n.attrs["shape"] = shape_json(t.sizes());
    n.attrs["dtype"] = std::string(toString(t.scalar_type()));
    n.attrs["requires_grad"] = t.requires_grad();
    n.attrs["version"] = t._version();
    n.details.push_back("tensor " + shape_dtype(t) + (t.requires_grad() ? ", requires_grad" : ""));
    n.details.push_back("version " + std::to_string(t._version()));
    if (opt_.show_versions()) n.lines.push_back("version " + std::to_string(t._version()));
  }

  void add_root(const Tensor& r) {
    NABLA_CHECK(r.defined(), "viz: cannot draw the graph of an undefined tensor");
    if (!roots_seen_.insert(r.impl().get()).second) return;
    if (!r.grad_fn() && r.requires_grad()) {
      size_t idx = leaf(r);
      g_.nodes[idx].is_root = true;
      return;
    }
    std::string name = name_of(r);
    size_t idx = add_node(NodeKind::Root, name.empty() ? (r.grad_fn() ? "output" : "tensor") : name);
    g_.nodes[idx].is_root = true;
    describe_tensor(g_.nodes[idx], r, name);
    if (const auto& fn = r.grad_fn()) {
      g_.nodes[idx].details.insert(g_.nodes[idx].details.begin(), "root: output " +
                                                                      std::to_string(r.output_nr()) + " of " +
                                                                      fn->name());
      size_t c = visit(fn);
      add_edge(c, idx, "output", -1, r.output_nr(), fn->num_inputs() > 1);
      children_[idx].push_back(c);
    } else {
      g_.nodes[idx].details.insert(g_.nodes[idx].details.begin(), "root: does not require grad");
    }
  }

  size_t leaf(const Tensor& v) {
    auto [it, added] = leaves_.emplace(v.impl().get(), g_.nodes.size());
    if (!added) return it->second;
    std::string name = name_of(v);
    size_t idx = add_node(NodeKind::Leaf, name.empty() ? "leaf" : name);
    GraphNode& n = g_.nodes[idx];
    n.details.push_back("leaf (torch::autograd::AccumulateGrad)");
    describe_tensor(n, v, name);
    const Tensor& grad = v.grad();
    if (grad.defined()) {
      n.attrs["grad"] = values_json(grad, opt_.max_elements());
      n.details.push_back("grad: " + format_values(grad, opt_.max_elements()));
      if (opt_.show_grads()) n.lines.push_back("grad: " + format_values(grad, opt_.max_elements()));
    }
    return idx;
  }

  size_t visit(const std::shared_ptr<autograd::Node>& fn) {
    if (fn->is_accumulate_grad()) return leaf(static_cast<const autograd::AccumulateGrad&>(*fn).variable());
    auto [it, added] = functions_.emplace(fn.get(), g_.nodes.size());
    if (!added) return it->second;
    size_t idx = add_node(NodeKind::Function, fn->name());
    queue_.emplace_back(fn.get(), idx);
    return idx;
  }

  void expand(autograd::Node& fn, size_t idx) {
    {
      GraphNode& n = g_.nodes[idx];
      n.attrs["op"] = fn.name();
      n.attrs["sequence_nr"] = fn.sequence_nr();
      n.details.push_back("op " + fn.name());
      n.details.push_back("sequence_nr " + std::to_string(fn.sequence_nr()));
      nlohmann::json outs = nlohmann::json::array();
      for (size_t i = 0; i < fn.num_inputs(); ++i) {
        const auto& m = fn.input_metadata(i);
        outs.push_back({{"shape", shape_json(m.shape)}, {"dtype", std::string(toString(m.dtype))}});
        n.details.push_back("output " + std::to_string(i) + ": " + core::shape_str(m.shape) + " " +
                            std::string(toString(m.dtype)));
      }
      n.attrs["outputs"] = std::move(outs);
      for (uint32_t i = 0; i < fn.num_inputs(); ++i) {
        auto it = output_names_.find({&fn, i});
        if (it == output_names_.end()) continue;
        n.lines.push_back("\u2192 " + it->second);
        n.attrs["name"] = it->second;
      }
      has_hooks_[idx] = !fn.hooks().empty();
      for (const auto& h : fn.hooks()) {
        if (!h.retain_cell || !h.retain_cell->defined()) continue;
        std::string v = format_values(*h.retain_cell, opt_.max_elements());
        n.details.push_back("retained grad: " + v);
        n.attrs["retained_grad"] = values_json(*h.retain_cell, opt_.max_elements());
        if (opt_.show_grads()) n.lines.push_back("grad: " + v);
      }
    }
    const auto& edges = fn.next_edges();
    for (size_t j = 0; j < edges.size(); ++j) {
      const auto& e = edges[j];
      if (e.is_valid()) {
        size_t c = visit(e.function);
        bool multi = !e.function->is_accumulate_grad() && e.function->num_inputs() > 1;
        add_edge(c, idx, "data", static_cast<int64_t>(j), e.input_nr, multi);
        children_[idx].push_back(c);
      } else if (opt_.show_constants()) {
        size_t k = add_node(NodeKind::Constant, "no grad");
        g_.nodes[k].details.push_back("input " + std::to_string(j) + " of " + fn.name() + " needs no gradient");
        add_edge(k, idx, "data", static_cast<int64_t>(j));
      }
    }
    if (!opt_.show_saved()) return;
    auto saved = fn.saved_info();
    for (size_t j = 0; j < saved.size(); ++j) add_saved(saved[j], j, fn, idx);
  }

  void add_saved(const autograd::SavedInfo& s, size_t j, const autograd::Node& fn, size_t owner) {
    size_t k = add_node(NodeKind::Saved, s.is_output ? "saved output" : "saved tensor");
    owner_[k] = static_cast<int64_t>(owner);
    GraphNode& n = g_.nodes[k];
    n.details.push_back("saved tensor " + std::to_string(j) + " of " + fn.name() + (s.is_output ? " (its output)" : ""));
    n.attrs["index"] = j;
    n.attrs["is_output"] = s.is_output;
    n.attrs["freed"] = s.freed;
    n.attrs["saved_version"] = s.saved_version;
    if (s.freed || !s.data.defined()) {
      n.lines.push_back("freed");
      n.details.push_back("freed by backward (retain_graph was not set)");
    } else {
      uint32_t now = s.data._version();
      n.lines.push_back(shape_dtype(s.data));
      n.details.push_back(shape_dtype(s.data));
      n.attrs["shape"] = shape_json(s.data.sizes());
      n.attrs["dtype"] = std::string(toString(s.data.scalar_type()));
      n.attrs["version"] = now;
      std::string versions = "version saved " + std::to_string(s.saved_version) + ", now " + std::to_string(now);
      n.details.push_back(versions);
      if (now != s.saved_version) {
        n.lines.push_back("modified in place since saved");
        n.details.push_back("modified in place since saved: backward will fail");
      }
      if (opt_.show_versions()) n.lines.push_back(versions);
    }
    add_edge(k, owner, "saved");
  }

  // A node needs a gradient when one reaches a leaf that requires grad (or a hook) through it;
  // children are settled before their parents (iterative post-order: graphs may be long).
  void mark_needed() {
    size_t n = g_.nodes.size();
    std::vector<char> state(n, 0);
    for (size_t start = 0; start < n; ++start) {
      if (state[start]) continue;
      std::vector<std::pair<size_t, size_t>> stack{{start, 0}};
      state[start] = 1;
      while (!stack.empty()) {
        auto& [v, pos] = stack.back();
        if (pos < children_[v].size()) {
          size_t c = children_[v][pos++];
          if (!state[c]) {
            state[c] = 1;
            stack.emplace_back(c, 0);
          }
          continue;
        }
        settle(v);
        state[v] = 2;
        stack.pop_back();
      }
    }
    for (size_t i = 0; i < n; ++i) {
      GraphNode& node = g_.nodes[i];
      if (owner_[i] >= 0) node.needs_grad = g_.nodes[static_cast<size_t>(owner_[i])].needs_grad;
      if (!node.needs_grad && node.kind != NodeKind::Constant && node.kind != NodeKind::Saved)
        node.details.push_back("needs no gradient");
    }
  }

  void settle(size_t v) {
    GraphNode& node = g_.nodes[v];
    switch (node.kind) {
      case NodeKind::Leaf: node.needs_grad = node.attrs.value("requires_grad", false); break;
      case NodeKind::Constant: node.needs_grad = false; break;
      case NodeKind::Saved: break;
      case NodeKind::Root:
      case NodeKind::Function: {
        bool needed = has_hooks_[v];
        for (size_t c : children_[v]) needed = needed || g_.nodes[c].needs_grad;
        node.needs_grad = needed;
        break;
      }
    }
  }

  const GraphOptions& opt_;
  Graph g_;
  std::vector<std::vector<size_t>> children_;
  std::vector<bool> has_hooks_;
  std::vector<int64_t> owner_;
  std::unordered_map<const TensorImpl*, std::string> names_;
  std::map<std::pair<const autograd::Node*, uint32_t>, std::string> output_names_;
  std::unordered_set<const TensorImpl*> roots_seen_;
  std::unordered_map<const TensorImpl*, size_t> leaves_;
  std::unordered_map<const autograd::Node*, size_t> functions_;
  std::deque<std::pair<autograd::Node*, size_t>> queue_;
};

}  // namespace

std::string shape_dtype(const Tensor& t) {
  return core::shape_str(t.sizes()) + " " + std::string(toString(t.scalar_type()));
}

std::string format_values(const Tensor& t, int64_t max_elements) {
  NoGradGuard no_grad;
  bool floating = t.is_floating_point();
  Tensor d = t.detach().to(kDouble).contiguous();
  std::ostringstream os;
  if (d.numel() <= max_elements) {
    int64_t pos = 0;
    format_dim(os, d.data_ptr<double>(), d.sizes(), 0, pos, floating);
  } else {
    os << "min " << format_number(d.min().item<double>(), true) << "  mean "
       << format_number(d.mean().item<double>(), true) << "  max " << format_number(d.max().item<double>(), true);
  }
  return os.str();
}

Graph build_graph(const std::vector<Tensor>& roots, const GraphOptions& options) {
  NABLA_CHECK(options.max_elements() >= 0, "viz: max_elements must be non-negative, got ", options.max_elements());
  return Builder(options).build(roots);
}

}  // namespace nabla::viz::detail
