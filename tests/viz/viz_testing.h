#pragma once
// Helpers for the graph picture tests: parsed JSON, node lookups, temporary folders, and
// running programs (dot, chromium).
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/testing.h"

namespace nabla::viz_testing {

using nlohmann::json;

inline json graph_json(const Tensor& root, const viz::GraphOptions& o = {}) {
  return json::parse(viz::to_json(root, o));
}
inline json graph_json(const std::vector<Tensor>& roots, const viz::GraphOptions& o = {}) {
  return json::parse(viz::to_json(roots, o));
}

/// Nodes of one kind ("root", "function", "leaf", "saved", "constant").
std::vector<json> nodes_of(const json& g, const std::string& kind);
/// The one node with this label (test failure and an empty object when not exactly one).
json node_labelled(const json& g, const std::string& label);
/// Edges of one kind ("data", "output", "saved").
std::vector<json> edges_of(const json& g, const std::string& kind);
/// Edges into the node with this id.
std::vector<json> edges_into(const json& g, const std::string& id);

/// A fresh empty folder for one test (removed by the destructor).
struct TempDir {
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
  std::filesystem::path path;
};

/// Runs a shell command; returns its exit status and standard output.
struct CommandResult {
  int status = -1;
  std::string out;
};
CommandResult run_command(const std::string& command);
/// Whether `name` is an executable on PATH.
bool have_program(const std::string& name);
std::string read_text(const std::string& path);

}  // namespace nabla::viz_testing
