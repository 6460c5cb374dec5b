// The graph nabla::viz exports (DOT and JSON) for known graphs: nodes, edges, labels,
// gradients, saved tensors, versions, and what is greyed.
#include <algorithm>

#include "viz/viz_testing.h"

using namespace nabla;
using namespace nabla::viz_testing;
using nabla::testing::error_message;

namespace {

// The walkthrough's graph: b = w1*a, c = w2*a, d = w3*b + w4*c, L = 10 - d.
struct SeedGraph {
  Tensor a = tensor({2.}, requires_grad());
  Tensor w1 = tensor({-3.}, requires_grad());
  Tensor w2 = tensor({1.5}, requires_grad());
  Tensor w3 = tensor({0.5}, requires_grad());
  Tensor w4 = tensor({4.}, requires_grad());
  Tensor b, c, d, L;
  SeedGraph() {
    a.set_name("a");
    w1.set_name("w1");
    w2.set_name("w2");
    w3.set_name("w3");
    w4.set_name("w4");
    b = w1 * a;
    c = w2 * a;
    d = w3 * b + w4 * c;
    L = 10 - d;
    L.set_name("L");
  }
  oracle::Inputs inputs() const { return {{"a", a}, {"w1", w1}, {"w2", w2}, {"w3", w3}, {"w4", w4}}; }
};

// PyTorch's graph of the same computation, walked in Python: sorted node names, and the
// number of edges between nodes.
const char* kTorchGraph = R"(
def walk(root):
    seen, names, edges, stack = set(), [], 0, [root]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        names.append(fn.name())
        for nf, _ in fn.next_functions:
            if nf is not None:
                edges += 1
                stack.append(nf)
    return ",".join(sorted(names)) + "|" + str(edges)
)";

std::string nabla_graph_summary(const json& g) {
  std::vector<std::string> names;
  for (const auto& n : g.at("nodes")) {
    if (n.at("kind") == "function") names.push_back(n.at("op"));
    if (n.at("kind") == "leaf") names.push_back("torch::autograd::AccumulateGrad");
  }
  std::sort(names.begin(), names.end());
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ",") + n;
  int64_t edges = 0;
  for (const auto& e : g.at("edges")) {
    if (e.at("kind") != "data") continue;
    bool from_constant = false;
    for (const auto& n : g.at("nodes"))
      if (n.at("id") == e.at("source") && n.at("kind") == "constant") from_constant = true;
    if (!from_constant) ++edges;
  }
  return s + "|" + std::to_string(edges);
}

}  // namespace

TEST(VizGraph, SeedGraphMatchesPyTorchsGraph) {
  SeedGraph s;
  auto g = graph_json(s.L);
  // C++'s `10 - d` is libtorch's empty_like(d).fill_(10).sub_(d) (ATen/TensorOperators.h),
  // not Python's rsub.
  auto ref = oracle::run(std::string(kTorchGraph) +
                             "b = w1 * a\nc = w2 * a\nd = w3 * b + w4 * c\n"
                             "L = torch.empty_like(d).fill_(10).sub_(d)\nout = walk(L.grad_fn)",
                         s.inputs());
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_EQ(nabla_graph_summary(g), ref.strings.at(0));
}

TEST(VizGraph, SeedGraphNodesEdgesAndLabels) {
  SeedGraph s;
  auto g = graph_json(s.L);
  EXPECT_EQ(nodes_of(g, "root").size(), 1u);
  EXPECT_EQ(nodes_of(g, "leaf").size(), 5u);
  EXPECT_EQ(nodes_of(g, "function").size(), 6u);  // Sub, Add, 4 × Mul
  EXPECT_EQ(nodes_of(g, "constant").size(), 1u);  // the 10 of 10 - d
  // Sub → L; the 10 and Add → Sub; two Muls → Add; two inputs → each Mul.
  EXPECT_EQ(g.at("edges").size(), 1u + 2 + 2 + 4 * 2);
  EXPECT_EQ(edges_of(g, "output").size(), 1u);
  EXPECT_EQ(g.at("roots"), json::array({"n0"}));

  auto root = node_labelled(g, "L");
  EXPECT_EQ(root.at("kind"), "root");
  EXPECT_TRUE(root.at("root").get<bool>());
  EXPECT_EQ(root.at("shape"), json::array({1}));
  EXPECT_EQ(root.at("dtype"), "float32");
  EXPECT_EQ(root.at("lines"), json::array({"[1] float32"}));

  for (const char* leaf : {"a", "w1", "w2", "w3", "w4"}) {
    auto n = node_labelled(g, leaf);
    EXPECT_EQ(n.at("kind"), "leaf") << leaf;
    EXPECT_EQ(n.at("lines"), json::array({"[1] float32"})) << leaf;
    EXPECT_TRUE(n.at("needs_grad").get<bool>()) << leaf;
    EXPECT_FALSE(n.contains("grad")) << leaf;  // before backward
  }
  // a feeds two multiplications.
  std::string a_id = node_labelled(g, "a").at("id");
  int64_t uses = 0;
  for (const auto& e : g.at("edges")) uses += e.at("source") == a_id;
  EXPECT_EQ(uses, 2);

  auto sub = node_labelled(g, s.L.grad_fn()->name());
  EXPECT_EQ(sub.at("sequence_nr"), s.L.grad_fn()->sequence_nr());
  auto into_root = edges_into(g, root.at("id"));
  ASSERT_EQ(into_root.size(), 1u);
  EXPECT_EQ(into_root[0].at("source"), sub.at("id"));
  auto constant = nodes_of(g, "constant")[0];
  EXPECT_FALSE(constant.at("needs_grad").get<bool>());
}

TEST(VizGraph, DotHasOneStatementPerNodeAndEdge) {
  SeedGraph s;
  std::string dot = viz::to_dot(s.L);
  auto g = graph_json(s.L);
  EXPECT_EQ(dot.rfind("digraph nabla {", 0), 0u);
  size_t nodes = 0, edges = 0, pos = 0;
  while ((pos = dot.find("[id=\"", pos)) != std::string::npos) ++nodes, ++pos;
  pos = 0;
  while ((pos = dot.find(" -> ", pos)) != std::string::npos) ++edges, ++pos;
  EXPECT_EQ(nodes, g.at("nodes").size());
  EXPECT_EQ(edges, g.at("edges").size());
  EXPECT_NE(dot.find("label=\"L\\n[1] float32\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"w3\\n[1] float32\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"MulBackward0\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"AddBackward0\""), std::string::npos);
  EXPECT_NE(dot.find("darkolivegreen1"), std::string::npos);  // the root is highlighted
  EXPECT_NE(dot.find("grey85"), std::string::npos);           // the constant is greyed
}

TEST(VizGraph, GradientsAfterBackwardMatchPyTorch) {
  SeedGraph s;
  s.L.backward();
  auto g = graph_json(s.L, viz::GraphOptions().show_grads(true));
  auto ref = oracle::run(
      "b = w1 * a\nc = w2 * a\nd = w3 * b + w4 * c\nL = 10 - d\nL.backward()\n"
      "out = (a.grad, w1.grad, w2.grad, w3.grad, w4.grad)",
      s.inputs());
  ASSERT_TRUE(ref.ok) << ref.error;
  const char* names[] = {"a", "w1", "w2", "w3", "w4"};
  for (size_t i = 0; i < 5; ++i) {
    auto n = node_labelled(g, names[i]);
    ASSERT_TRUE(n.contains("grad")) << names[i];
    double expected = ref.tensor(i).item<double>();
    EXPECT_NEAR(n.at("grad").at("values").at(0).get<double>(), expected, 1e-6) << names[i];
    EXPECT_EQ(n.at("grad").at("shape"), json::array({1}));
    EXPECT_EQ(n.at("lines").size(), 2u);
    std::string line = n.at("lines").at(1);
    ASSERT_EQ(line.rfind("grad: [", 0), 0u) << line;
    EXPECT_NEAR(std::stod(line.substr(7)), expected, 1e-3) << line;
  }
  // Without show_grads the label has no gradient line, but JSON still carries it.
  auto plain = graph_json(s.L);
  EXPECT_EQ(node_labelled(plain, "a").at("lines").size(), 1u);
  EXPECT_TRUE(node_labelled(plain, "a").contains("grad"));
  EXPECT_NE(viz::to_dot(s.L, viz::GraphOptions().show_grads(true)).find("grad: ["), std::string::npos);
}

TEST(VizGraph, ValuesOfSmallGradientsAreWrittenOut) {
  // w = mean(3 (x + 2)^2) with x = 1: dw/dx = 6 (x + 2) / 4 = 4.5 everywhere.
  auto x = ones({2, 2}, requires_grad());
  auto w = ((x + 2) * (x + 2) * 3).mean();
  w.backward();
  auto ref = oracle::run("w = ((x + 2) * (x + 2) * 3).mean(); w.backward(); out = x.grad", {{"x", x}});
  EXPECT_SAME(x.grad(), ref.tensor());
  auto g = graph_json(w, viz::GraphOptions().show_grads(true));
  auto leaf = nodes_of(g, "leaf").at(0);
  EXPECT_EQ(leaf.at("label"), "leaf");  // unnamed
  EXPECT_EQ(leaf.at("lines").at(0), "[2, 2] float32");
  EXPECT_EQ(leaf.at("lines").at(1), "grad: [[4.5, 4.5], [4.5, 4.5]]");
  EXPECT_EQ(leaf.at("grad").at("values"), json::array({4.5, 4.5, 4.5, 4.5}));
}

TEST(VizGraph, LargeGradientsAreSummarised) {
  auto x = nabla::testing::sample({5, 8}, kDouble, 1).requires_grad_();
  auto y = (x * x).sum();
  y.backward();
  auto g = graph_json(y, viz::GraphOptions().show_grads(true).max_elements(10));
  auto grad = nodes_of(g, "leaf").at(0).at("grad");
  EXPECT_FALSE(grad.contains("values"));
  EXPECT_NEAR(grad.at("min").get<double>(), x.grad().min().item<double>(), 1e-12);
  EXPECT_NEAR(grad.at("mean").get<double>(), x.grad().mean().item<double>(), 1e-12);
  EXPECT_NEAR(grad.at("max").get<double>(), x.grad().max().item<double>(), 1e-12);
  std::string line = nodes_of(g, "leaf").at(0).at("lines").at(1);
  EXPECT_EQ(line.rfind("grad: min ", 0), 0u) << line;
  EXPECT_NE(line.find(" mean "), std::string::npos);
  EXPECT_NE(line.find(" max "), std::string::npos);
  EXPECT_EQ(error_message([&] { viz::to_dot(y, viz::GraphOptions().max_elements(-1)); }),
            "viz: max_elements must be non-negative, got -1");
}

TEST(VizGraph, ValueUsedTwiceGivesTwoEdges) {
  // z = y * y * 3: the first MulBackward0 has two edges to y's AddBackward0.
  auto x = ones({2, 2}, requires_grad());
  auto y = x + 2;
  auto z = y * y * 3;
  auto g = graph_json(z);
  std::string add_id = node_labelled(g, "AddBackward0").at("id");
  int64_t from_add = 0;
  for (const auto& e : g.at("edges")) from_add += e.at("source") == add_id;
  EXPECT_EQ(from_add, 2);
  EXPECT_EQ(nodes_of(g, "function").size(), 3u);
  EXPECT_EQ(nodes_of(g, "constant").size(), 2u);  // the 2 and the 3
  auto ref = oracle::run(std::string(kTorchGraph) + "y = x + 2\nz = y * y * 3\nout = walk(z.grad_fn)", {{"x", x}});
  EXPECT_EQ(nabla_graph_summary(g), ref.strings.at(0));
  auto without = graph_json(z, viz::GraphOptions().show_constants(false));
  EXPECT_TRUE(nodes_of(without, "constant").empty());
  EXPECT_EQ(without.at("edges").size(), g.at("edges").size() - 2);
}

TEST(VizGraph, NamesFromOptionsNameIntermediatesAndOverrideTensorNames) {
  SeedGraph s;
  auto g = graph_json(s.L, viz::GraphOptions().names({{"b", s.b}, {"weight1", s.w1}, {"d", s.d}}));
  auto b_node = node_labelled(g, "weight1");
  EXPECT_EQ(b_node.at("kind"), "leaf");
  EXPECT_EQ(b_node.at("name"), "weight1");
  bool found_b = false, found_d = false;
  for (const auto& n : nodes_of(g, "function")) {
    if (n.value("name", "") == "b") {
      found_b = true;
      EXPECT_EQ(n.at("op"), "MulBackward0");
      EXPECT_EQ(n.at("lines"), json::array({"\u2192 b"}));
    }
    if (n.value("name", "") == "d") {
      found_d = true;
      EXPECT_EQ(n.at("op"), "AddBackward0");
    }
  }
  EXPECT_TRUE(found_b);
  EXPECT_TRUE(found_d);
  // A named root carries its name on its own node only.
  auto named_root = graph_json(s.L, viz::GraphOptions().names({{"loss", s.L}}));
  EXPECT_EQ(nodes_of(named_root, "root").at(0).at("label"), "loss");
  EXPECT_FALSE(node_labelled(named_root, s.L.grad_fn()->name()).contains("name"));
}

TEST(VizGraph, SavedTensorsShowShapeAndWhetherFreed) {
  auto x = nabla::testing::sample({2, 3}, kFloat, 2).requires_grad_();
  auto w = nabla::testing::sample({3}, kFloat, 3).requires_grad_();
  auto y = (x * w).sum();
  auto opts = viz::GraphOptions().show_saved(true);
  auto before = graph_json(y, opts);
  auto saved = nodes_of(before, "saved");
  ASSERT_EQ(saved.size(), 2u);  // MulBackward0 saved x and w
  std::string mul_id = node_labelled(before, "MulBackward0").at("id");
  EXPECT_EQ(edges_of(before, "saved").size(), 2u);
  for (const auto& e : edges_of(before, "saved")) EXPECT_EQ(e.at("target"), mul_id);
  EXPECT_EQ(saved[0].at("shape"), json::array({2, 3}));
  EXPECT_EQ(saved[1].at("shape"), json::array({3}));
  EXPECT_EQ(saved[0].at("lines").at(0), "[2, 3] float32");
  EXPECT_FALSE(saved[0].at("freed").get<bool>());
  EXPECT_TRUE(nodes_of(graph_json(y), "saved").empty());  // only with show_saved

  y.backward(Tensor(), /*retain_graph=*/true);
  EXPECT_FALSE(nodes_of(graph_json(y, opts), "saved")[0].at("freed").get<bool>());
  y.backward();
  auto after = nodes_of(graph_json(y, opts), "saved");
  ASSERT_EQ(after.size(), 2u);
  for (const auto& n : after) {
    EXPECT_TRUE(n.at("freed").get<bool>());
    EXPECT_EQ(n.at("lines"), json::array({"freed"}));
  }
}

TEST(VizGraph, SavedOutputIsMarked) {
  auto x = nabla::testing::sample({4}, kDouble, 4).requires_grad_();
  auto y = x.exp().sum();
  auto g = graph_json(y, viz::GraphOptions().show_saved(true));
  auto ref = oracle::run("out = x.exp().sum().grad_fn.next_functions[0][0].name()", {{"x", x}});
  auto exp_node = node_labelled(g, ref.strings.at(0));
  auto saved = nodes_of(g, "saved");
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_TRUE(saved[0].at("is_output").get<bool>());
  EXPECT_EQ(saved[0].at("label"), "saved output");
  EXPECT_EQ(edges_into(g, exp_node.at("id")).back().at("source"), saved[0].at("id"));
}

TEST(VizGraph, VersionCountersAndInPlaceChangesOfSavedTensors) {
  auto x = nabla::testing::sample({3}, kFloat, 5).requires_grad_();
  auto c = x * 1;
  auto d = (c * c).sum();
  c.mul_(2);
  auto g = graph_json(d, viz::GraphOptions().show_saved(true).show_versions(true).names({{"c", c}}));
  auto saved = nodes_of(g, "saved");
  // The first Mul saved the wrapped 1 (x is not needed: the 1 needs no gradient); the second
  // saved c twice.
  ASSERT_EQ(saved.size(), 3u);
  int64_t modified = 0;
  for (const auto& n : saved) {
    if (n.at("saved_version") != n.at("version")) {
      ++modified;
      EXPECT_EQ(n.at("saved_version"), 0);
      EXPECT_EQ(n.at("version"), 1);
      EXPECT_EQ(n.at("lines").at(1), "modified in place since saved");
      EXPECT_EQ(n.at("lines").at(2), "version saved 0, now 1");
    }
  }
  EXPECT_EQ(modified, 2);
  auto leaf = nodes_of(g, "leaf").at(0);
  EXPECT_EQ(leaf.at("version"), 0);
  EXPECT_EQ(leaf.at("lines").back(), "version 0");
  EXPECT_THROW(d.backward(), Error);  // what the picture warned about
}

TEST(VizGraph, NodesWhoseGradientIsNotNeededAreGrey) {
  auto x = tensor({1., 2.}, requires_grad());
  auto k = tensor({3., 4.}, requires_grad());
  auto y = (x * 2).sum() + (k * 5).sum();
  k.requires_grad_(false);  // the k branch no longer leads to a gradient anyone needs
  auto g = graph_json(y);
  std::vector<std::string> grey;
  for (const auto& n : g.at("nodes"))
    if (!n.at("needs_grad").get<bool>() && n.at("kind") != "constant") grey.push_back(n.at("label"));
  std::sort(grey.begin(), grey.end());
  EXPECT_EQ(grey, (std::vector<std::string>{"MulBackward0", "SumBackward0", "leaf"}));
  EXPECT_TRUE(node_labelled(g, "AddBackward0").at("needs_grad").get<bool>());
  EXPECT_TRUE(nodes_of(g, "root").at(0).at("needs_grad").get<bool>());
  std::string dot = viz::to_dot(y);
  EXPECT_NE(dot.find("fontcolor=\"grey45\""), std::string::npos);
}

TEST(VizGraph, RootsThatAreLeavesOrNeedNoGrad) {
  auto leaf = tensor({1., 2.}, requires_grad());
  leaf.set_name("p");
  auto g = graph_json(leaf);
  ASSERT_EQ(g.at("nodes").size(), 1u);
  EXPECT_EQ(g.at("nodes")[0].at("kind"), "leaf");
  EXPECT_TRUE(g.at("nodes")[0].at("root").get<bool>());
  EXPECT_EQ(g.at("roots"), json::array({"n0"}));

  auto plain = ones({3}) * 2;
  auto h = graph_json(plain);
  ASSERT_EQ(h.at("nodes").size(), 1u);
  EXPECT_EQ(h.at("nodes")[0].at("kind"), "root");
  EXPECT_FALSE(h.at("nodes")[0].at("needs_grad").get<bool>());
  EXPECT_TRUE(h.at("edges").empty());

  EXPECT_EQ(error_message([] { viz::to_json(Tensor()); }), "viz: cannot draw the graph of an undefined tensor");
}

TEST(VizGraph, SeveralRootsShareTheirCommonGraph) {
  SeedGraph s;
  auto M = s.b * s.c;
  auto g = graph_json(std::vector<Tensor>{s.L, M, s.L});  // L twice: drawn once
  EXPECT_EQ(nodes_of(g, "root").size(), 2u);
  EXPECT_EQ(g.at("roots").size(), 2u);
  EXPECT_EQ(nodes_of(g, "leaf").size(), 5u);
  EXPECT_EQ(nodes_of(g, "function").size(), 7u);
  EXPECT_EQ(edges_of(g, "output").size(), 2u);
  std::string dot = viz::to_dot({s.L, M});
  EXPECT_NE(dot.find("label=\"output\\n[1] float32\""), std::string::npos);  // M is unnamed
}

TEST(VizGraph, OutputsOfMultiOutputNodesAreNumbered) {
  auto x = nabla::testing::sample({4, 3}, kDouble, 6).requires_grad_();
  auto parts = x.unbind(0);
  auto y = parts[0] * parts[3];
  auto g = graph_json(y);
  auto ref = oracle::run(std::string(kTorchGraph) + "p = x.unbind(0)\nout = walk((p[0] * p[3]).grad_fn)", {{"x", x}});
  EXPECT_EQ(nabla_graph_summary(g), ref.strings.at(0));
  std::string unbind_id = node_labelled(g, parts[0].grad_fn()->name()).at("id");
  std::vector<int64_t> outputs;
  for (const auto& e : g.at("edges"))
    if (e.at("source") == unbind_id) outputs.push_back(e.at("output_nr"));
  EXPECT_EQ(outputs, (std::vector<int64_t>{0, 3}));
  EXPECT_NE(viz::to_dot(y).find("taillabel=\"3\""), std::string::npos);
}

TEST(VizGraph, LongChainsDoNotExhaustTheStack) {
  auto x = tensor({1.}, requires_grad());
  Tensor y = x;
  for (int i = 0; i < 50000; ++i) y = y * 1.0;
  auto g = graph_json(y, viz::GraphOptions().show_constants(false));
  EXPECT_EQ(nodes_of(g, "function").size(), 50000u);
  EXPECT_EQ(g.at("edges").size(), 50001u);
  EXPECT_TRUE(nodes_of(g, "leaf").at(0).at("needs_grad").get<bool>());
}
