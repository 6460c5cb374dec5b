// One training epoch of an MLP 784-256-128-10 (ReLU) on Fashion-MNIST (60,000 images, batch 64,
// SGD lr 0.01 momentum 0.9, cross-entropy), nabla against libtorch, at 1 and 2 threads. Both see
// the same data in the same order (one permutation, drawn from nabla's generator seeded 0) and
// start from the same weights (nabla's default initialisation after manual_seed(0), copied into
// the libtorch model). Each run happens in a fork()ed child that loads the data itself, so that
// its peak resident memory (ru_maxrss from wait4) is that run's alone. Prints the epoch's
// seconds, the peak RSS and the ratios libtorch / nabla (> 1: nabla is faster / smaller).
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target train_epoch
//   ./build-bench/bench/train_epoch [fashion-mnist dir]
#include <nabla/nabla.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

constexpr int64_t kBatch = 64;
constexpr double kLr = 0.01, kMomentum = 0.9;
constexpr double kMean = 0.2860, kStd = 0.3530;

struct Result {
  double seconds = 0;
  double first_loss = 0;
  double last_loss = 0;
};

// The training images as (N, 784) normalised float32, the labels and the epoch's order.
struct Data {
  nabla::Tensor x, y, order;
};

Data load_data(const std::string& root) {
  nabla::data::datasets::FashionMNIST train(root, true);
  Data d;
  d.x = ((train.images().reshape({-1, 784}) - kMean) / kStd).contiguous();
  d.y = train.targets().contiguous();
  auto gen = nabla::make_generator<nabla::CPUGeneratorImpl>(0);
  d.order = nabla::randperm(d.x.size(0), gen);
  return d;
}

nabla::nn::Sequential nabla_mlp() {
  namespace nn = nabla::nn;
  nabla::manual_seed(0);
  return nn::Sequential(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10));
}

Result run_nabla(const Data& d) {
  auto model = nabla_mlp();
  nabla::optim::SGD opt(model->parameters(), nabla::optim::SGDOptions(kLr).momentum(kMomentum));
  const int64_t n = d.x.size(0);
  Result r;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t b = 0; b < n; b += kBatch) {
    auto idx = d.order.narrow(0, b, std::min(kBatch, n - b));
    auto loss =
        nabla::nn::functional::cross_entropy(model->forward(d.x.index_select(0, idx)), d.y.index_select(0, idx));
    opt.zero_grad();
    loss.backward();
    opt.step();
    const double l = loss.item<float>();
    if (b == 0) r.first_loss = l;
    r.last_loss = l;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

torch::Tensor to_torch(const nabla::Tensor& t, torch::ScalarType dtype) {
  std::vector<int64_t> sizes(t.sizes().begin(), t.sizes().end());
  return torch::from_blob(t.data_ptr(), sizes, dtype);  // shares nabla's memory
}

Result run_torch(const Data& d) {
  namespace nn = torch::nn;
  nn::Sequential model(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10));
  {
    auto source = nabla_mlp()->parameters();
    auto target = model->parameters();
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < target.size(); ++i) target[i].copy_(to_torch(source[i].contiguous(), torch::kFloat));
  }
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(kLr).momentum(kMomentum));
  const torch::Tensor x = to_torch(d.x, torch::kFloat), y = to_torch(d.y, torch::kLong);
  const torch::Tensor order = to_torch(d.order, torch::kLong);
  const int64_t n = x.size(0);
  Result r;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t b = 0; b < n; b += kBatch) {
    auto idx = order.narrow(0, b, std::min(kBatch, n - b));
    auto loss = torch::nn::functional::cross_entropy(model->forward(x.index_select(0, idx)), y.index_select(0, idx));
    opt.zero_grad();
    loss.backward();
    opt.step();
    const double l = loss.item<float>();
    if (b == 0) r.first_loss = l;
    r.last_loss = l;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

// Runs one epoch in a child process; returns its result and its peak RSS in MiB.
std::pair<Result, double> in_child(bool torch_run, int threads, const std::string& root) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    nabla::set_num_threads(threads);  // nabla's threads and OpenBLAS's (shared with libtorch)
    if (torch_run) torch::set_num_threads(threads);
    const Data d = load_data(root);
    const Result r = torch_run ? run_torch(d) : run_nabla(d);
    const bool ok = write(fds[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  Result r;
  const bool got = read(fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
  close(fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "the %s run with %d threads failed\n", torch_run ? "libtorch" : "nabla", threads);
    std::exit(1);
  }
  return {r, static_cast<double>(usage.ru_maxrss) / 1024.0};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string root = argc > 1 ? argv[1] : nabla::data::datasets::FashionMNIST::kDefaultRoot;
  std::printf(
      "One epoch of MLP 784-256-128-10 on Fashion-MNIST (60000 images, batch %lld, SGD lr %.2f momentum %.1f),\n"
      "same weights and order in both; each run in its own process (peak RSS of that process).\n",
      static_cast<long long>(kBatch), kLr, kMomentum);
  std::printf("%7s | %9s %11s %7s | %9s %12s %7s | %11s %11s\n", "threads", "nabla s", "libtorch s", "ratio",
              "nabla MiB", "libtorch MiB", "ratio", "nabla loss", "torch loss");
  for (int threads : {1, 2}) {
    const auto [n, n_rss] = in_child(false, threads, root);
    const auto [t, t_rss] = in_child(true, threads, root);
    std::printf("%7d | %9.2f %11.2f %7.2f | %9.1f %12.1f %7.2f | %5.3f>%5.3f %5.3f>%5.3f\n", threads, n.seconds,
                t.seconds, t.seconds / n.seconds, n_rss, t_rss, t_rss / n_rss, n.first_loss, n.last_loss, t.first_loss,
                t.last_loss);
  }
  return 0;
}
