// The computational graph, step by step: how nabla records operations, how backward() walks
// the graph with the chain rule, what it refuses to do, and what the graph looks like.
//
//   computational_graph [output-folder]     (pictures go to ./graphs by default)
//
// Pictures need Graphviz's `dot` (Debian package graphviz); without it the graphs are still
// written as .dot text files.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <nabla/nabla.h>

using namespace nabla;

namespace {

std::filesystem::path g_out;

void section(const std::string& title) { std::cout << "\n=== " << title << "\n\n"; }

// Writes the graph as an SVG picture and as an interactive HTML page.
void picture(const std::vector<Tensor>& roots, const std::string& name, const viz::GraphOptions& options) {
  for (const char* ext : {".svg", ".html"}) {
    std::string path = (g_out / (name + ext)).string();
    try {
      viz::render(roots, path, options);
      std::cout << "  picture: " << path << "\n";
    } catch (const Error& e) {
      std::cout << "  (no picture) " << e.what() << "\n";
      return;
    }
  }
}

void compare(const std::string& what, const Tensor& grad, double hand, const std::string& formula) {
  std::cout << "  " << std::left << std::setw(7) << what << " = " << std::setw(6) << grad.item<double>()
            << " by hand: " << std::setw(18) << formula << " = " << hand << "\n";
}

void seed_graph() {
  section("1. A graph of scalars: b = w1*a, c = w2*a, d = w3*b + w4*c, L = 10 - d");
  auto a = tensor(2.0, requires_grad());
  auto w1 = tensor(5.0, requires_grad());
  auto w2 = tensor(3.0, requires_grad());
  auto w3 = tensor(2.0, requires_grad());
  auto w4 = tensor(4.0, requires_grad());
  auto b = w1 * a;
  auto c = w2 * a;
  auto d = w3 * b + w4 * c;
  auto L = 10 - d;
  for (auto [name, t] : std::vector<std::pair<std::string, Tensor*>>{
           {"a", &a}, {"w1", &w1}, {"w2", &w2}, {"w3", &w3}, {"w4", &w4}, {"b", &b}, {"c", &c}, {"d", &d}, {"L", &L}})
    std::cout << "  " << std::left << std::setw(3) << name << "= " << *t << "\n";
  std::cout << "\nLeaves (a, w1..w4) were created by you and require grad; every other tensor\n"
               "remembers the backward function of the op that made it (grad_fn), and each\n"
               "backward function has an edge to the backward function of each input:\n"
            << "  L.grad_fn()->name() = " << L.grad_fn()->name() << ", next_edges():";
  for (const auto& e : L.grad_fn()->next_edges())
    std::cout << " " << (e.is_valid() ? e.function->name() : "(none: the 10 needs no gradient)");
  std::cout << "\n";

  L.backward();
  std::cout << "\nL.backward() applied the chain rule from L back to every leaf. With dL/dd = -1:\n";
  double A = a.item<double>(), W1 = w1.item<double>(), W2 = w2.item<double>();
  double W3 = w3.item<double>(), W4 = w4.item<double>();
  compare("dL/da", a.grad(), -(W3 * W1 + W4 * W2), "-(w3*w1 + w4*w2)");
  compare("dL/dw1", w1.grad(), -W3 * A, "-w3*a");
  compare("dL/dw2", w2.grad(), -W4 * A, "-w4*a");
  compare("dL/dw3", w3.grad(), -W1 * A, "-b = -w1*a");
  compare("dL/dw4", w4.grad(), -W2 * A, "-c = -w2*a");

  std::cout << "\nThe graph, with each leaf's gradient (blue: leaves, green: the root, grey: the\n"
               "constant 10, which needs no gradient):\n";
  auto names = viz::GraphOptions()
                   .names({{"a", a}, {"w1", w1}, {"w2", w2}, {"w3", w3}, {"w4", w4}, {"b", b}, {"c", c}, {"d", d}, {"L", L}})
                   .show_grads(true);
  picture({L}, "seed_graph", names);
}

void mean_graph() {
  section("2. x = ones(2, 2), y = x + 2, z = y*y*3, w = z.mean()");
  auto x = ones({2, 2}, requires_grad());
  auto y = x + 2;
  auto z = y * y * 3;
  auto w = z.mean();
  std::cout << "x =\n" << x << "\ny =\n" << y << "\nz =\n" << z << "\nw = " << w << "\n";
  w.backward();
  std::cout << "\ndw/dx =\n" << x.grad() << "\n"
            << "by hand: w = (1/4) sum 3(x+2)^2, so dw/dx = 6(x+2)/4 = 4.5 at x = 1\n";
  std::cout << "\nIts graph: y is used twice by the first multiplication (two arrows), and the\n"
               "saved tensors that backward used have been freed:\n";
  picture({w}, "mean_graph",
          viz::GraphOptions().names({{"x", x}, {"y", y}, {"z", z}, {"w", w}}).show_grads(true).show_saved(true));
}

void non_scalar_output() {
  section("3. backward() needs a scalar, or an explicit gradient");
  manual_seed(0);
  auto out = randn({7}, requires_grad());
  auto max_score = out.max();
  std::cout << "out = " << out << "\nmax_score = out.max() = " << max_score << "\n";
  max_score.backward();
  std::cout << "max_score.backward(): out.grad() = " << out.grad() << "\n"
            << "(only the largest score moves max_score: its gradient is 1, the others 0)\n";
  try {
    out.backward();
  } catch (const Error& e) {
    std::cout << "\nout.backward() refuses: \"" << e.what() << "\"\n";
  }
  out.backward(ones_like(out));
  std::cout << "out.backward(ones_like(out)) works: the gradient is given explicitly. Gradients\n"
               "accumulate, so out.grad() is now the earlier one plus ones:\n  "
            << out.grad() << "\n";
}

void refusals() {
  section("4. Two more refusals");
  auto t = ones({3});
  try {
    t.sum().backward();
  } catch (const Error& e) {
    std::cout << "A tensor that does not require grad has no graph to walk:\n  \"" << e.what() << "\"\n";
  }
  auto counts = arange(3);
  try {
    counts.requires_grad_();
  } catch (const Error& e) {
    std::cout << "Integers have no derivative (" << counts.dtype() << "):\n  \"" << e.what() << "\"\n";
  }
}

void classifier() {
  section("5. A tiny classifier: cross-entropy from log_softmax and gather");
  manual_seed(0);
  auto X = tensor({{1.0, 0.5, -1.0}, {-0.5, 1.5, 0.2}, {0.3, -1.2, 1.0}, {1.1, 0.1, 0.4}});
  auto target = tensor({0, 1, 2, 0});
  auto W = (randn({3, 3}) * 0.1).requires_grad_();
  auto bias = zeros({3}, requires_grad());
  std::cout << "4 samples with 3 features, 3 classes; targets " << target << "\n";
  for (int step = 0; step < 5; ++step) {
    auto logits = X.matmul(W) + bias;
    auto log_probs = logits.log_softmax(1);
    auto loss = -log_probs.gather(1, target.unsqueeze(1)).mean();
    loss.backward();
    if (step == 0) {
      std::cout << "logits = X.matmul(W) + bias, log_probs = logits.log_softmax(1),\n"
                   "loss = -log_probs.gather(1, target.unsqueeze(1)).mean() = "
                << loss << "\nW.grad() =\n" << W.grad() << "\nbias.grad() = " << bias.grad() << "\n";
      picture({loss}, "classifier_graph",
              viz::GraphOptions()
                  .names({{"X", X}, {"W", W}, {"bias", bias}, {"logits", logits}, {"log_probs", log_probs}, {"loss", loss}})
                  .show_grads(true));
      std::cout << "\nGradient descent (W -= 0.5 * W.grad(), then zero the gradients):\n";
    }
    std::cout << "  step " << step << ": loss " << loss.item<double>() << "\n";
    NoGradGuard no_grad;
    W -= W.grad() * 0.5;
    bias -= bias.grad() * 0.5;
    W.mutable_grad().zero_();
    bias.mutable_grad().zero_();
  }
}

}  // namespace

int main(int argc, char** argv) {
  g_out = argc > 1 ? argv[1] : "graphs";
  std::filesystem::create_directories(g_out);
  std::cout << "Pictures of the graphs go to " << std::filesystem::absolute(g_out).string() << "\n";
  try {
    seed_graph();
    mean_graph();
    non_scalar_output();
    refusals();
    classifier();
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
