#include "viz/viz_testing.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

namespace nabla::viz_testing {

std::vector<json> nodes_of(const json& g, const std::string& kind) {
  std::vector<json> out;
  for (const auto& n : g.at("nodes"))
    if (n.at("kind") == kind) out.push_back(n);
  return out;
}

json node_labelled(const json& g, const std::string& label) {
  std::vector<json> found;
  for (const auto& n : g.at("nodes"))
    if (n.at("label") == label) found.push_back(n);
  if (found.size() != 1) {
    ADD_FAILURE() << found.size() << " nodes labelled '" << label << "' (expected 1)";
    return json::object();
  }
  return found[0];
}

std::vector<json> edges_of(const json& g, const std::string& kind) {
  std::vector<json> out;
  for (const auto& e : g.at("edges"))
    if (e.at("kind") == kind) out.push_back(e);
  return out;
}

std::vector<json> edges_into(const json& g, const std::string& id) {
  std::vector<json> out;
  for (const auto& e : g.at("edges"))
    if (e.at("target") == id) out.push_back(e);
  return out;
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path = std::filesystem::temp_directory_path() /
         ("nabla-viz-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool have_program(const std::string& name) {
  return run_command("command -v " + name + " >/dev/null 2>&1").status == 0;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace nabla::viz_testing
