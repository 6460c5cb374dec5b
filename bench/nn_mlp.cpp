// One training step of an MLP 784-256-128-10 (ReLU) on a batch of 64, nabla against libtorch
// in the same run: forward through nn::Linear layers, cross-entropy loss, backward, plain SGD
// update of the parameters under NoGradGuard. Prints µs per step at 1 and 2 threads and the
// ratio libtorch / nabla (> 1: nabla is faster).
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target nn_mlp
//   ./build-bench/bench/nn_mlp
#include <nabla/nabla.h>
#include <nabla/nn/functional/loss.h>
#include <nabla/nn/modules/activation.h>
#include <nabla/nn/modules/container.h>
#include <nabla/nn/modules/linear.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

constexpr int kWarmup = 20;
constexpr int kIters = 200;
constexpr int64_t kBatch = 64;
constexpr double kLr = 0.01;

// The median of kIters timed runs of fn, in µs.
template <typename F>
double median_us(const F& fn) {
  for (int i = 0; i < kWarmup; ++i) fn();
  std::vector<double> t;
  t.reserve(kIters);
  for (int i = 0; i < kIters; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double nabla_step_us(int threads) {
  namespace nn = nabla::nn;
  nabla::set_num_threads(threads);
  nabla::manual_seed(0);
  nn::Sequential model{nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10)};
  auto x = nabla::rand({kBatch, 784});
  auto y = nabla::randint(0, 10, {kBatch});
  auto params = model->parameters();
  float last_loss = 0;
  const double us = median_us([&] {
    for (auto& p : params) p.mutable_grad() = nabla::Tensor();
    auto loss = nn::functional::cross_entropy(model(x), y);
    loss.backward();
    {
      nabla::NoGradGuard no_grad;
      for (auto& p : params) p.sub_(p.grad(), kLr);
    }
    last_loss = loss.item<float>();
  });
  std::printf("  (nabla final loss %.4f)\n", last_loss);
  return us;
}

double torch_step_us(int threads) {
  namespace nn = torch::nn;
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  nn::Sequential model{nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10)};
  auto x = torch::rand({kBatch, 784});
  auto y = torch::randint(0, 10, {kBatch});
  auto params = model->parameters();
  float last_loss = 0;
  const double us = median_us([&] {
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    auto loss = nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    {
      torch::NoGradGuard no_grad;
      for (auto& p : params) p.sub_(p.grad(), kLr);
    }
    last_loss = loss.item<float>();
  });
  std::printf("  (libtorch final loss %.4f)\n", last_loss);
  return us;
}

}  // namespace

int main() {
  std::printf("MLP 784-256-128-10 (ReLU), batch %lld: forward + cross-entropy + backward + SGD update\n",
              static_cast<long long>(kBatch));
  std::printf("%8s %12s %14s %24s\n", "threads", "nabla us", "libtorch us", "ratio (libtorch/nabla)");
  for (int threads : {1, 2}) {
    const double n = nabla_step_us(threads);
    const double t = torch_step_us(threads);
    std::printf("%8d %12.1f %14.1f %24.2f\n", threads, n, t, t / n);
  }
  return 0;
}
