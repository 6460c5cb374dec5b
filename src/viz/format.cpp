// The graph as DOT text and as JSON (Note [What a graph picture shows] in graph.cpp).
#include <sstream>

#include "viz/graph.h"

namespace nabla::viz {

namespace detail {
namespace {

// A DOT double-quoted string: quotes and backslashes escaped; lines joined with \n.
std::string quoted(const std::vector<std::string>& lines) {
  std::string out = "\"";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += "\\n";
    for (char c : lines[i]) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
  }
  return out + "\"";
}

std::string node_style(const GraphNode& n) {
  std::string fill;
  std::string extra;
  switch (n.kind) {
    case NodeKind::Root: fill = "darkolivegreen1"; break;
    case NodeKind::Function: fill = "white"; break;
    case NodeKind::Leaf: fill = "lightblue"; break;
    case NodeKind::Saved: fill = "orange"; extra = ", style=\"filled,dashed\", fontsize=9"; break;
    case NodeKind::Constant: fill = "grey92"; extra = ", style=\"rounded,filled,dashed\", fontsize=9"; break;
  }
  if (n.is_root) fill = "darkolivegreen1";
  if (!n.needs_grad) {
    fill = "grey85";
    extra += ", fontcolor=\"grey45\", color=\"grey60\"";
  }
  std::string s = ", fillcolor=\"" + fill + "\"" + extra;
  if (n.is_root) s += ", penwidth=2.5" + std::string(n.needs_grad ? ", color=\"darkgreen\"" : "");
  return s;
}

}  // namespace

std::string dot_text(const Graph& g) {
  std::ostringstream os;
  os << "digraph nabla {\n"
        "  graph [fontname=\"Helvetica\", nodesep=0.3, ranksep=0.35];\n"
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"white\", fontname=\"Helvetica\", "
        "fontsize=11, height=0.3];\n"
        "  edge [arrowsize=0.7, color=\"grey30\"];\n";
  for (const auto& n : g.nodes) {
    std::vector<std::string> label{n.title};
    label.insert(label.end(), n.lines.begin(), n.lines.end());
    os << "  " << n.id << " [id=\"" << n.id << "\", label=" << quoted(label) << ", tooltip=" << quoted(n.details)
       << node_style(n) << "];\n";
  }
  for (const auto& e : g.edges) {
    os << "  " << g.nodes[e.source].id << " -> " << g.nodes[e.target].id;
    std::string attrs;
    std::string kind = e.kind;
    if (kind == "saved") attrs = "style=dashed, color=\"darkorange3\", arrowhead=odot";
    if (kind == "output") attrs = "color=\"darkgreen\"";
    if (g.nodes[e.source].kind == NodeKind::Constant) attrs = "style=dashed, color=\"grey60\"";
    if (e.label_output) {
      if (!attrs.empty()) attrs += ", ";
      attrs += "taillabel=\"" + std::to_string(e.output_nr) + "\", fontsize=9";
    }
    if (!attrs.empty()) os << " [" << attrs << "]";
    os << ";\n";
  }
  os << "}\n";
  return os.str();
}

nlohmann::json json_value(const Graph& g) {
  nlohmann::json nodes = nlohmann::json::array();
  nlohmann::json roots = nlohmann::json::array();
  for (const auto& n : g.nodes) {
    nlohmann::json j = n.attrs;
    j["id"] = n.id;
    j["kind"] = kind_name(n.kind);
    j["label"] = n.title;
    j["lines"] = n.lines;
    j["details"] = n.details;
    j["needs_grad"] = n.needs_grad;
    j["root"] = n.is_root;
    if (n.is_root) roots.push_back(n.id);
    nodes.push_back(std::move(j));
  }
  nlohmann::json edges = nlohmann::json::array();
  for (const auto& e : g.edges) {
    nlohmann::json j = {{"source", g.nodes[e.source].id}, {"target", g.nodes[e.target].id}, {"kind", e.kind}};
    if (e.input_nr >= 0) j["input_nr"] = e.input_nr;
    if (e.output_nr >= 0) j["output_nr"] = e.output_nr;
    edges.push_back(std::move(j));
  }
  return {{"roots", std::move(roots)}, {"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

}  // namespace detail

std::string to_dot(const Tensor& root, const GraphOptions& options) {
  return to_dot(std::vector<Tensor>{root}, options);
}

std::string to_dot(const std::vector<Tensor>& roots, const GraphOptions& options) {
  return detail::dot_text(detail::build_graph(roots, options));
}

std::string to_json(const Tensor& root, const GraphOptions& options) {
  return to_json(std::vector<Tensor>{root}, options);
}

std::string to_json(const std::vector<Tensor>& roots, const GraphOptions& options) {
  return detail::json_value(detail::build_graph(roots, options)).dump(2);
}

}  // namespace nabla::viz
