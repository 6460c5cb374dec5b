// Convolution forward + backward, nabla against libtorch in the same run: a batch of 64
// 28x28 images through conv 1->32 (3x3, padding 1) then conv 32->64 (3x3, padding 1), the sum
// of the result backpropagated to both convolutions' weights and biases. Prints ms per
// iteration at 1 and 2 threads and the ratio libtorch / nabla (> 1: nabla is faster).
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target nn_conv
//   ./build-bench/bench/nn_conv
#include <nabla/nabla.h>
#include <nabla/nn/functional/conv.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

constexpr int kWarmup = 3;
constexpr int kIters = 15;

// The median of kIters timed runs of fn, in ms.
template <typename F>
double median_ms(const F& fn) {
  for (int i = 0; i < kWarmup; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < kIters; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double nabla_step(int threads) {
  nabla::set_num_threads(threads);
  nabla::manual_seed(0);
  auto x = nabla::randn({64, 1, 28, 28});
  auto opt = nabla::TensorOptions().requires_grad(true);
  auto w1 = (nabla::randn({32, 1, 3, 3}) * 0.3).detach().requires_grad_(true);
  auto b1 = nabla::zeros({32}, opt);
  auto w2 = (nabla::randn({64, 32, 3, 3}) * 0.06).detach().requires_grad_(true);
  auto b2 = nabla::zeros({64}, opt);
  return median_ms([&] {
    for (auto* p : {&w1, &b1, &w2, &b2}) p->mutable_grad() = nabla::Tensor();
    auto h = nabla::conv2d(x, w1, b1, 1, 1);
    auto y = nabla::conv2d(h, w2, b2, 1, 1);
    y.sum().backward();
  });
}

double torch_step(int threads) {
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  auto x = torch::randn({64, 1, 28, 28});
  auto w1 = (torch::randn({32, 1, 3, 3}) * 0.3).detach().requires_grad_(true);
  auto b1 = torch::zeros({32}, torch::requires_grad());
  auto w2 = (torch::randn({64, 32, 3, 3}) * 0.06).detach().requires_grad_(true);
  auto b2 = torch::zeros({64}, torch::requires_grad());
  return median_ms([&] {
    for (auto* p : {&w1, &b1, &w2, &b2}) p->mutable_grad() = torch::Tensor();
    auto h = torch::conv2d(x, w1, b1, 1, 1);
    auto y = torch::conv2d(h, w2, b2, 1, 1);
    y.sum().backward();
  });
}

}  // namespace

int main() {
  std::printf("conv 1->32 -> conv 32->64 (3x3, padding 1), batch 64, 28x28: forward + backward\n");
  std::printf("%8s %12s %12s %24s\n", "threads", "nabla ms", "libtorch ms", "ratio (libtorch/nabla)");
  for (int threads : {1, 2}) {
    const double n = nabla_step(threads);
    const double t = torch_step(threads);
    std::printf("%8d %12.2f %12.2f %24.2f\n", threads, n, t, t / n);
  }
  return 0;
}
