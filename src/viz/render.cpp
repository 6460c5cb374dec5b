// Writing graph pictures: DOT files, Graphviz renderings, and the self-contained HTML page.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "io/bytes.h"
#include "viz/graph.h"

extern char** environ;

namespace nabla::viz {

namespace {

namespace fs = std::filesystem;

/// A new empty file for `path`'s content before it is complete, named as the temporaries of
/// Note [Atomic file writes] (src/io/bytes.cpp), so that a later save removes it if this
/// process is killed before it is done.
std::string temp_near(const std::string& path) {
  std::string templ = io::temporary_prefix(path) + std::to_string(getpid()) + ".XXXXXX";
  int fd = mkstemp(templ.data());
  NABLA_CHECK(fd >= 0, "cannot write file '", path, "': ", std::strerror(errno));
  close(fd);
  return templ;
}

// Nothing the user owns is replaced unless the new content was written completely.
void write_atomic(const std::string& path, const std::string& data) {
  io::write_file_atomic(path, {{data.data(), data.size()}});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  NABLA_CHECK(in, "viz: cannot read '", path, "'");
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

/// The full path of an executable found on PATH.
std::optional<std::string> find_program(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::string path = env ? env : "";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st{};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

/// Runs `dot -T<format> -o <out> <in>`; throws with dot's messages when it fails.
void run_dot(const std::string& dot, const std::string& format, const std::string& in, const std::string& out) {
  std::string err_path = temp_near(out + ".err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_TRUNC, 0);
  std::string type = "-T" + format;
  std::string prog = "dot";
  std::string o = "-o";
  std::vector<char*> argv{prog.data(), type.data(), o.data(), const_cast<char*>(out.c_str()),
                          const_cast<char*>(in.c_str()), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, dot.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (rc == 0) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  std::string messages = read_file(err_path);
  std::remove(err_path.c_str());
  if (rc != 0) {
    std::remove(out.c_str());
    throw Error(nabla::detail::str("viz: cannot run '", dot, "': ", std::strerror(rc)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::remove(out.c_str());
    throw Error(nabla::detail::str("viz: Graphviz's dot failed to render '", in, "' as ", format, ": ", messages));
  }
}

// Note [The HTML view]
// One file that a browser opens without a server: the SVG Graphviz made, inline (each node
// is an SVG group whose id is the node's id), the graph's JSON in a script element, and a
// little script that lists the nodes in a side panel and shows a node's details when the
// pointer is over it (in the picture or in the list).
constexpr const char* kHtmlHead = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nabla graph</title>
<style>
body { margin: 0; display: flex; font-family: system-ui, sans-serif; font-size: 14px; }
#graph { flex: 1; overflow: auto; padding: 12px; }
#side { width: 24em; height: 100vh; overflow: auto; box-sizing: border-box; padding: 12px;
        border-left: 1px solid #ccc; background: #fafafa; }
#details pre { white-space: pre-wrap; font-size: 12px; }
#node-list { list-style: none; padding: 0; }
#node-list li { padding: 2px 4px; cursor: default; }
#node-list li.hl { background: #fff3b0; }
g.node { cursor: pointer; }
g.node.hl polygon, g.node.hl path { stroke: #d62728; stroke-width: 3px; }
</style>
</head>
<body>
<div id="graph">
)";

constexpr const char* kHtmlSide = R"(
</div>
<div id="side">
<h3>Node</h3>
<div id="details">Hover over a node to see its details.</div>
<h3>Nodes</h3>
<ul id="node-list"></ul>
</div>
<script type="application/json" id="graph-data">)";

constexpr const char* kHtmlScript = R"(</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('graph-data').textContent);
  var details = document.getElementById('details');
  var list = document.getElementById('node-list');
  function show(n) {
    details.textContent = '';
    var h = document.createElement('h4');
    h.textContent = n.label + ' (' + n.kind + (n.root ? ', root' : '') + ')';
    var pre = document.createElement('pre');
    pre.textContent = n.details.join('\n');
    details.appendChild(h);
    details.appendChild(pre);
  }
  function highlight(n, on) {
    var g = document.getElementById(n.id);
    if (g) g.classList.toggle('hl', on);
    var li = list.querySelector('[data-node="' + n.id + '"]');
    if (li) li.classList.toggle('hl', on);
  }
  data.nodes.forEach(function (n) {
    var li = document.createElement('li');
    li.setAttribute('data-node', n.id);
    li.textContent = n.label + (n.lines.length ? ' \u2014 ' + n.lines.join(', ') : '');
    list.appendChild(li);
    var targets = [li];
    var g = document.getElementById(n.id);
    if (g) targets.push(g);
    targets.forEach(function (el) {
      el.addEventListener('mouseenter', function () { show(n); highlight(n, true); });
      el.addEventListener('mouseleave', function () { highlight(n, false); });
    });
  });
  document.body.setAttribute('data-nodes', String(data.nodes.length));
})();
</script>
</body>
</html>
)";

std::string html_page(const std::string& svg, const std::string& json) {
  size_t at = svg.find("<svg");
  std::string inline_svg = at == std::string::npos ? svg : svg.substr(at);
  std::string safe_json;
  safe_json.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      safe_json += "<\\/";
      ++i;
    } else {
      safe_json += json[i];
    }
  }
  return std::string(kHtmlHead) + inline_svg + kHtmlSide + safe_json + kHtmlScript;
}

}  // namespace

void render(const Tensor& root, const std::string& path, const GraphOptions& options) {
  render(std::vector<Tensor>{root}, path, options);
}

void render(const std::vector<Tensor>& roots, const std::string& path, const GraphOptions& options) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  bool known = ext == ".dot" || ext == ".svg" || ext == ".png" || ext == ".pdf" || ext == ".html";
  NABLA_CHECK(known, "viz: cannot render '", path, "': unknown format '", ext,
              "' (use .dot, .svg, .png, .pdf or .html)");
  detail::Graph graph = detail::build_graph(roots, options);
  std::string dot_path = fs::path(path).replace_extension(".dot").string();
  write_atomic(dot_path, detail::dot_text(graph));
  if (ext == ".dot") return;

  auto dot = find_program("dot");
  NABLA_CHECK(dot, "viz: cannot render '", path,
              "': Graphviz's dot program was not found on PATH. Install the Debian package graphviz "
              "(apt-get install graphviz). The graph was written as DOT text to '",
              dot_path, "'.");
  // dot writes to a temporary; its bytes then go through the one atomic writer.
  std::string tmp = temp_near(path);
  std::string rendered;
  try {
    run_dot(*dot, ext == ".html" ? "svg" : ext.substr(1), dot_path, tmp);
    rendered = read_file(tmp);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  std::remove(tmp.c_str());
  write_atomic(path, ext == ".html" ? html_page(rendered, detail::json_value(graph).dump()) : rendered);
}

}  // namespace nabla::viz
