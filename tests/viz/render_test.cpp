// nabla::viz::render: DOT files, Graphviz renderings (dot must accept what to_dot writes),
// atomic writes, the error when Graphviz is missing, and the HTML page in headless Chromium.
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "viz/viz_testing.h"

using namespace nabla;
using namespace nabla::viz_testing;
using nabla::testing::error_message;

namespace {

Tensor seed_graph() {
  auto a = tensor({2.}, requires_grad());
  auto w1 = tensor({-3.}, requires_grad());
  auto w2 = tensor({1.5}, requires_grad());
  a.set_name("a");
  w1.set_name("w1");
  w2.set_name("w2");
  auto L = 10 - (w1 * a + w2 * a * a);
  L.set_name("L");
  return L;
}

std::vector<std::string> files_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Replaces PATH for the lifetime of the object.
struct ScopedPath {
  explicit ScopedPath(const std::string& path) {
    const char* old = std::getenv("PATH");
    saved = old ? old : "";
    setenv("PATH", path.c_str(), 1);
  }
  ~ScopedPath() { setenv("PATH", saved.c_str(), 1); }
  std::string saved;
};

void require_program(const std::string& name, const std::string& package) {
  ASSERT_TRUE(have_program(name)) << "'" << name << "' is not installed: scripts/install-deps.sh installs the "
                                  << package << " package";
}

}  // namespace

TEST(VizRender, DotFileIsWhatToDotReturns) {
  TempDir dir;
  auto L = seed_graph();
  viz::render(L, dir.file("g.dot"));
  EXPECT_EQ(read_text(dir.file("g.dot")), viz::to_dot(L));
  EXPECT_EQ(files_in(dir.path), std::vector<std::string>{"g.dot"});  // no temporary left behind
  // Replacing an existing file.
  L.backward();
  auto opts = viz::GraphOptions().show_grads(true);
  viz::render(L, dir.file("g.dot"), opts);
  EXPECT_EQ(read_text(dir.file("g.dot")), viz::to_dot(L, opts));
  EXPECT_EQ(files_in(dir.path), std::vector<std::string>{"g.dot"});
}

TEST(VizRender, GraphvizRendersSvgPngAndPdf) {
  require_program("dot", "graphviz");
  TempDir dir;
  auto L = seed_graph();
  L.backward(Tensor(), true);
  auto opts = viz::GraphOptions().show_grads(true).show_saved(true).show_versions(true);
  viz::render(L, dir.file("g.svg"), opts);
  viz::render(L, dir.file("g.png"), opts);
  viz::render(L, dir.file("g.PDF"), opts);
  EXPECT_EQ(files_in(dir.path), (std::vector<std::string>{"g.PDF", "g.dot", "g.png", "g.svg"}));
  std::string svg = read_text(dir.file("g.svg"));
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  auto g = json::parse(viz::to_json(L, opts));
  for (const auto& n : g.at("nodes")) EXPECT_NE(svg.find("id=\"" + n.at("id").get<std::string>() + "\""), std::string::npos);
  EXPECT_NE(svg.find(">w1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">" + L.grad_fn()->name() + "</text>"), std::string::npos);
  EXPECT_EQ(read_text(dir.file("g.png")).substr(0, 4), "\x89PNG");
  EXPECT_EQ(read_text(dir.file("g.PDF")).substr(0, 5), "%PDF-");
  EXPECT_EQ(read_text(dir.file("g.dot")), viz::to_dot(L, opts));
}

TEST(VizRender, DotAcceptsEveryOptionAndAwkwardNames) {
  require_program("dot", "graphviz");
  TempDir dir;
  auto x = nabla::testing::sample({3, 40}, kFloat, 1).requires_grad_();
  x.set_name("x \"quoted\" \\ back\\slash\nnewline {braces} <html>");
  auto parts = x.unbind(0);
  auto y = (parts[0] * parts[2]).exp().sum() + x.mean();
  y.backward(Tensor(), true);
  auto opts = viz::GraphOptions().show_grads(true).show_saved(true).show_versions(true).max_elements(3);
  viz::render(y, dir.file("odd.dot"), opts);
  auto r = run_command("dot -Tsvg -o '" + dir.file("odd.svg") + "' '" + dir.file("odd.dot") + "' 2>&1");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "");  // no warnings either
  std::string svg = read_text(dir.file("odd.svg"));
  EXPECT_NE(svg.find("x &quot;quoted&quot; \\ back\\slash"), std::string::npos);
  EXPECT_NE(svg.find("&lt;html&gt;"), std::string::npos);
}

TEST(VizRender, MissingGraphvizNamesThePackageAndStillWritesTheDotFile) {
  TempDir dir;
  TempDir empty_bin;
  auto L = seed_graph();
  std::ofstream(dir.file("g.svg")) << "previous picture";
  std::string msg;
  {
    ScopedPath path(empty_bin.path.string());
    msg = error_message([&] { viz::render(L, dir.file("g.svg")); });
  }
  EXPECT_EQ(msg, "viz: cannot render '" + dir.file("g.svg") +
                     "': Graphviz's dot program was not found on PATH. Install the Debian package graphviz "
                     "(apt-get install graphviz). The graph was written as DOT text to '" +
                     dir.file("g.dot") + "'.");
  EXPECT_EQ(read_text(dir.file("g.dot")), viz::to_dot(L));
  EXPECT_EQ(read_text(dir.file("g.svg")), "previous picture");  // not touched
  EXPECT_EQ(files_in(dir.path), (std::vector<std::string>{"g.dot", "g.svg"}));
}

TEST(VizRender, FailingDotLeavesTheTargetUntouched) {
  TempDir dir;
  TempDir bin;
  std::string fake = bin.file("dot");
  std::ofstream(fake) << "#!/bin/sh\necho 'Error: something went wrong' >&2\nexit 3\n";
  chmod(fake.c_str(), 0755);
  std::ofstream(dir.file("g.png")) << "previous picture";
  std::string msg;
  {
    ScopedPath path(bin.path.string());
    msg = error_message([&] { viz::render(seed_graph(), dir.file("g.png")); });
  }
  EXPECT_EQ(msg, "viz: Graphviz's dot failed to render '" + dir.file("g.dot") +
                     "' as png: Error: something went wrong\n");
  EXPECT_EQ(read_text(dir.file("g.png")), "previous picture");
  EXPECT_EQ(files_in(dir.path), (std::vector<std::string>{"g.dot", "g.png"}));
}

TEST(VizRender, BadPathsAndFormats) {
  TempDir dir;
  auto L = seed_graph();
  EXPECT_EQ(error_message([&] { viz::render(L, dir.file("g.jpg")); }),
            "viz: cannot render '" + dir.file("g.jpg") + "': unknown format '.jpg' (use .dot, .svg, .png, .pdf or .html)");
  EXPECT_EQ(error_message([&] { viz::render(L, dir.file("graph")); }),
            "viz: cannot render '" + dir.file("graph") + "': unknown format '' (use .dot, .svg, .png, .pdf or .html)");
  std::string missing = dir.file("no/such/folder/g.svg");
  EXPECT_EQ(error_message([&] { viz::render(L, missing); }),
            "cannot write file '" + dir.file("no/such/folder/g.dot") + "': No such file or directory");
  EXPECT_TRUE(files_in(dir.path).empty());
}

TEST(VizRender, HtmlPageOpensInHeadlessChromium) {
  require_program("dot", "graphviz");
  require_program("chromium", "chromium");
  TempDir dir;
  TempDir profile;
  auto L = seed_graph();
  L.backward();
  auto opts = viz::GraphOptions().show_grads(true).show_saved(true);
  viz::render(L, dir.file("graph.html"), opts);
  std::string page = read_text(dir.file("graph.html"));
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(page.find("<?xml"), std::string::npos);  // the SVG is inline, without its prolog
  EXPECT_EQ(page.find("src="), std::string::npos);   // self-contained: nothing to fetch
  EXPECT_EQ(page.find("href="), std::string::npos);

  std::string cmd = "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                    "--disable-background-networking --disable-component-update --disable-sync "
                    "--user-data-dir='" + profile.path.string() + "' --dump-dom 'file://" +
                    dir.file("graph.html") + "' 2>/dev/null";
  auto r = run_command(cmd);
  ASSERT_EQ(r.status, 0) << "chromium failed: " << r.out;
  const std::string& dom = r.out;
  auto g = json::parse(viz::to_json(L, opts));
  size_t n = g.at("nodes").size();
  // The script ran: it counted the nodes and listed each one in the side panel.
  EXPECT_NE(dom.find("data-nodes=\"" + std::to_string(n) + "\""), std::string::npos) << dom.substr(0, 2000);
  for (const auto& node : g.at("nodes")) {
    std::string id = node.at("id");
    EXPECT_NE(dom.find("<li data-node=\"" + id + "\">"), std::string::npos) << id;
    EXPECT_NE(dom.find("id=\"" + id + "\" class=\"node\""), std::string::npos) << id;
  }
  for (const auto& text : std::vector<std::string>{">w1</text>", ">" + L.grad_fn()->name() + "</text>", ">L</text>", ">a</text>"})
    EXPECT_NE(dom.find(text), std::string::npos) << text;
  EXPECT_NE(dom.find("grad: ["), std::string::npos);
}
