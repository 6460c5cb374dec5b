// The kernel layer's scoreboard: one table of nabla against libtorch, the same work in the same
// run, at 1 and 2 threads, on a quiet machine and with a background load on every core.
// Each cell is libtorch's time / nabla's time (> 1: nabla is faster), the best of 5 rounds
// that alternate the two libraries. The memory-bound rows also print what a plain streaming
// loop reaches on this machine (the memory limit), and the load rows nabla's 2-thread time
// against its 1-thread time.
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target compare
//   ./build-bench/bench/compare            # add --quick for 2 rounds
#include <nabla/nabla.h>
#include <nabla/nn/functional/activation.h>
#include <nabla/nn/functional/loss.h>
#include <nabla/nn/functional/normalization.h>
#include <nabla/nn/modules/activation.h>
#include <nabla/nn/modules/container.h>
#include <nabla/nn/modules/linear.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

int g_rounds = 5;

double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Seconds per call of fn: calls repeated until a round lasts >= 30 ms.
double time_round(const std::function<void()>& fn) {
  fn();  // warm
  int64_t calls = 1;
  for (;;) {
    const double t0 = now_s();
    for (int64_t i = 0; i < calls; ++i) fn();
    const double dt = now_s() - t0;
    if (dt >= 0.03 || calls >= (int64_t(1) << 24)) return dt / static_cast<double>(calls);
    calls *= std::max<int64_t>(2, static_cast<int64_t>(0.04 / std::max(dt, 1e-9)));
  }
}

struct Timing {
  double nabla, torch;  // best seconds per call
};

Timing race(const std::function<void()>& nabla_fn, const std::function<void()>& torch_fn) {
  Timing best{1e30, 1e30};
  for (int r = 0; r < g_rounds; ++r) {
    best.nabla = std::min(best.nabla, time_round(nabla_fn));
    best.torch = std::min(best.torch, time_round(torch_fn));
  }
  return best;
}

// A row builds its work for a thread count: (nabla fn, torch fn), and says what one call is
// worth for the figures column (flops or bytes, 0 for none).
struct Work {
  std::function<void()> nabla, torch;
};
struct Row {
  std::string name;
  std::function<Work()> make;
  double per_call = 0;    // flops or bytes per call
  const char* unit = "";  // "GFLOPS" or "GB/s"
  bool streaming = false; // compare against the streaming limit
};

constexpr int64_t k16M = int64_t(1) << 24;

std::vector<Row> rows() {
  std::vector<Row> r;
  r.push_back({"a + b, 1 element, no grad", [] {
                 auto a = std::make_shared<nabla::Tensor>(nabla::ones({1})), b = std::make_shared<nabla::Tensor>(nabla::ones({1}));
                 auto ta = std::make_shared<torch::Tensor>(torch::ones({1})), tb = std::make_shared<torch::Tensor>(torch::ones({1}));
                 return Work{[=] { (void)(*a + *b); }, [=] { (void)(*ta + *tb); }};
               }});
  r.push_back({"chain of scalar ops fwd+bwd, per op (x32)", [] {
                 auto x = std::make_shared<nabla::Tensor>(nabla::ones({1}).requires_grad_(true));
                 auto tx = std::make_shared<torch::Tensor>(torch::ones({1}).requires_grad_(true));
                 return Work{[=] {
                               nabla::Tensor y = *x;
                               for (int i = 0; i < 16; ++i) y = y * 1.0001 + 0.0001;
                               y.sum().backward();
                               x->mutable_grad() = nabla::Tensor();
                             },
                             [=] {
                               torch::Tensor y = *tx;
                               for (int i = 0; i < 16; ++i) y = y * 1.0001 + 0.0001;
                               y.sum().backward();
                               tx->mutable_grad() = torch::Tensor();
                             }};
               }});
  r.push_back({"mm 1024x1024x1024", [] {
                 auto a = std::make_shared<nabla::Tensor>(nabla::rand({1024, 1024})), b = std::make_shared<nabla::Tensor>(nabla::rand({1024, 1024}));
                 auto ta = std::make_shared<torch::Tensor>(torch::rand({1024, 1024})), tb = std::make_shared<torch::Tensor>(torch::rand({1024, 1024}));
                 return Work{[=] { (void)a->mm(*b); }, [=] { (void)ta->mm(*tb); }};
               },
               2.0 * 1024 * 1024 * 1024, "GFLOPS"});
  r.push_back({"MLP 784-512-256-10 step, batch 128, SGD", [] {
                 namespace nn = nabla::nn;
                 nabla::manual_seed(0);
                 auto m = std::make_shared<nn::Sequential>(nn::Linear(784, 512), nn::ReLU(), nn::Linear(512, 256), nn::ReLU(), nn::Linear(256, 10));
                 auto opt = std::make_shared<nabla::optim::SGD>((*m)->parameters(), nabla::optim::SGDOptions(0.01));
                 auto x = std::make_shared<nabla::Tensor>(nabla::rand({128, 784}));
                 auto y = std::make_shared<nabla::Tensor>(nabla::randint(0, 10, {128}));
                 torch::manual_seed(0);
                 auto tm = std::make_shared<torch::nn::Sequential>(torch::nn::Linear(784, 512), torch::nn::ReLU(), torch::nn::Linear(512, 256),
                                                                   torch::nn::ReLU(), torch::nn::Linear(256, 10));
                 auto topt = std::make_shared<torch::optim::SGD>((*tm)->parameters(), torch::optim::SGDOptions(0.01));
                 auto tx = std::make_shared<torch::Tensor>(torch::rand({128, 784}));
                 auto ty = std::make_shared<torch::Tensor>(torch::randint(0, 10, {128}));
                 return Work{[=] {
                               opt->zero_grad();
                               nn::functional::cross_entropy((*m)->forward(*x), *y).backward();
                               opt->step();
                             },
                             [=] {
                               topt->zero_grad();
                               torch::nn::functional::cross_entropy((*tm)->forward(*tx), *ty).backward();
                               topt->step();
                             }};
               }});
  r.push_back({"Conv2d 1->32->64 3x3, 28x28, batch 64, fwd+bwd", [] {
                 nabla::manual_seed(0);
                 auto x = std::make_shared<nabla::Tensor>(nabla::rand({64, 1, 28, 28}));
                 auto w1 = std::make_shared<nabla::Tensor>(nabla::rand({32, 1, 3, 3}).requires_grad_(true));
                 auto w2 = std::make_shared<nabla::Tensor>(nabla::rand({64, 32, 3, 3}).requires_grad_(true));
                 auto tx = std::make_shared<torch::Tensor>(torch::rand({64, 1, 28, 28}));
                 auto tw1 = std::make_shared<torch::Tensor>(torch::rand({32, 1, 3, 3}).requires_grad_(true));
                 auto tw2 = std::make_shared<torch::Tensor>(torch::rand({64, 32, 3, 3}).requires_grad_(true));
                 return Work{[=] {
                               nabla::conv2d(nabla::conv2d(*x, *w1, {}, 1, 1), *w2, {}, 1, 1).sum().backward();
                               w1->mutable_grad() = nabla::Tensor();
                               w2->mutable_grad() = nabla::Tensor();
                             },
                             [=] {
                               torch::conv2d(torch::conv2d(*tx, *tw1, {}, 1, 1), *tw2, {}, 1, 1).sum().backward();
                               tw1->mutable_grad() = torch::Tensor();
                               tw2->mutable_grad() = torch::Tensor();
                             }};
               }});
  r.push_back({"add_out, 16M floats", [] {
                 auto a = std::make_shared<nabla::Tensor>(nabla::rand({k16M})), b = std::make_shared<nabla::Tensor>(nabla::rand({k16M})),
                      o = std::make_shared<nabla::Tensor>(nabla::empty({k16M}));
                 auto ta = std::make_shared<torch::Tensor>(torch::rand({k16M})), tb = std::make_shared<torch::Tensor>(torch::rand({k16M})),
                      to = std::make_shared<torch::Tensor>(torch::empty({k16M}));
                 return Work{[=] { nabla::add_out(*o, *a, *b); }, [=] { torch::add_out(*to, *ta, *tb); }};
               },
               3.0 * 4 * k16M, "GB/s", true});
  r.push_back({"exp_out, 16M floats", [] {
                 auto a = std::make_shared<nabla::Tensor>(nabla::rand({k16M})), o = std::make_shared<nabla::Tensor>(nabla::empty({k16M}));
                 auto ta = std::make_shared<torch::Tensor>(torch::rand({k16M})), to = std::make_shared<torch::Tensor>(torch::empty({k16M}));
                 return Work{[=] { nabla::exp_out(*o, *a); }, [=] { torch::exp_out(*to, *ta); }};
               },
               2.0 * 4 * k16M, "GB/s", true});
  r.push_back({"sum, 16M floats", [] {
                 auto a = std::make_shared<nabla::Tensor>(nabla::rand({k16M}));
                 auto ta = std::make_shared<torch::Tensor>(torch::rand({k16M}));
                 return Work{[=] { (void)a->sum(); }, [=] { (void)ta->sum(); }};
               },
               4.0 * k16M, "GB/s", true});
  r.push_back({"softmax(dim=1), 4096x1024", [] {
                 auto a = std::make_shared<nabla::Tensor>(nabla::rand({4096, 1024}));
                 auto ta = std::make_shared<torch::Tensor>(torch::rand({4096, 1024}));
                 return Work{[=] { (void)a->softmax(1); }, [=] { (void)ta->softmax(1); }};
               }});
  r.push_back({"LayerNorm(1024) forward, 4096 rows", [] {
                 auto a = std::make_shared<nabla::Tensor>(nabla::rand({4096, 1024}));
                 auto w = std::make_shared<nabla::Tensor>(nabla::ones({1024})), b = std::make_shared<nabla::Tensor>(nabla::zeros({1024}));
                 auto ta = std::make_shared<torch::Tensor>(torch::rand({4096, 1024}));
                 auto tw = std::make_shared<torch::Tensor>(torch::ones({1024})), tb = std::make_shared<torch::Tensor>(torch::zeros({1024}));
                 return Work{[=] { (void)nabla::layer_norm(*a, {1024}, *w, *b); },
                             [=] { (void)torch::layer_norm(*ta, {1024}, *tw, *tb); }};
               }});
  r.push_back({"gelu, 16M floats", [] {
                 auto a = std::make_shared<nabla::Tensor>(nabla::randn({k16M}));
                 auto ta = std::make_shared<torch::Tensor>(torch::randn({k16M}));
                 return Work{[=] { (void)nabla::nn::functional::gelu(*a); }, [=] { (void)torch::gelu(*ta); }};
               }});
  return r;
}

// What a plain loop reaches streaming c = a + b over 16M floats on this machine (GB/s), at
// `threads` threads.
double streaming_limit(int threads) {
  std::vector<float> a(k16M, 1.f), b(k16M, 2.f), c(k16M);
  auto pass = [&] {
    std::vector<std::thread> ts;
    const int64_t chunk = k16M / threads;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        float* __restrict cp = c.data() + t * chunk;
        const float* __restrict ap = a.data() + t * chunk;
        const float* __restrict bp = b.data() + t * chunk;
        for (int64_t i = 0; i < chunk; ++i) cp[i] = ap[i] + bp[i];
      });
    for (auto& t : ts) t.join();
  };
  double best = 1e30;
  for (int r = 0; r < g_rounds; ++r) best = std::min(best, time_round(pass));
  return 3.0 * 4 * k16M / best / 1e9;
}

// A background load: one process spinning a thread per core until stopped.
struct BackgroundLoad {
  pid_t pid = -1;
  BackgroundLoad() {
    pid = fork();
    if (pid == 0) {
      const unsigned n = std::max(1u, std::thread::hardware_concurrency());
      std::vector<std::thread> ts;
      for (unsigned i = 0; i < n; ++i)
        ts.emplace_back([] {
          volatile double x = 1;
          for (;;) x = x * 1.0000001 + 1e-9;
        });
      for (auto& t : ts) t.join();
      _exit(0);
    }
  }
  ~BackgroundLoad() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

void table(const char* title, bool loaded) {
  std::printf("\n## %s\n\n", title);
  std::printf("| work | libtorch/nabla, 1 thread | libtorch/nabla, 2 threads | nabla figures (1 / 2 threads) |%s\n",
              loaded ? " nabla 1-thread time / 2-thread time |" : "");
  std::printf("|---|---|---|---|%s\n", loaded ? "---|" : "");
  const double limit1 = streaming_limit(1), limit2 = streaming_limit(2);
  for (const Row& row : rows()) {
    Timing t[2];
    for (int threads : {1, 2}) {
      nabla::set_num_threads(threads);
      torch::set_num_threads(threads);
      Work w = row.make();
      t[threads - 1] = race(w.nabla, w.torch);
    }
    std::printf("| %s | %.2f | %.2f |", row.name.c_str(), t[0].torch / t[0].nabla, t[1].torch / t[1].nabla);
    if (row.per_call > 0) {
      const double f1 = row.per_call / t[0].nabla / 1e9, f2 = row.per_call / t[1].nabla / 1e9;
      std::printf(" %.1f / %.1f %s", f1, f2, row.unit);
      if (row.streaming) std::printf(" (%.0f%% / %.0f%% of the streaming limit)", 100 * f1 / limit1, 100 * f2 / limit2);
    } else {
      std::printf(" %.3g / %.3g ms", 1e3 * t[0].nabla, 1e3 * t[1].nabla);
    }
    std::printf(" |");
    if (loaded) std::printf(" %.2f |", t[0].nabla / t[1].nabla);
    std::printf("\n");
  }
  std::printf("\nstreaming limit (plain c = a + b loop, 16M floats): %.1f GB/s at 1 thread, %.1f GB/s at 2\n", limit1,
              limit2);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--quick") == 0) g_rounds = 2;
  std::printf("nabla vs libtorch %s, best of %d alternating rounds; cells: libtorch time / nabla time\n", TORCH_VERSION,
              g_rounds);
  table("Quiet machine", false);
  {
    BackgroundLoad load;
    table("Background load on every core", true);
  }
  return 0;
}
