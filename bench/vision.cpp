// Inference of torchvision's ResNet-18 and MobileNetV2 (eval mode, no grad, 224x224 input),
// nabla::vision against torchvision in the same run: batch 1 and 16, 1 and 2 threads. libtorch
// has no torchvision models, so the peer is python3-torchvision, timed by a Python process that
// this program starts for each row with the same model, batch and thread count. Prints ms per
// forward (the median of the timed runs) and the ratio torchvision / nabla (> 1: nabla is faster).
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target vision
//   ./build-bench/bench/vision
#include <nabla/nabla.h>
#include <nabla/vision.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

int iterations(int64_t batch) { return batch == 1 ? 15 : 5; }

// The median of the timed runs of fn (after two untimed ones), in ms.
double median_ms(const std::function<void()>& fn, int iters) {
  for (int i = 0; i < 2; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < iters; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double nabla_ms(const std::string& model_name, int64_t batch, int threads) {
  nabla::set_num_threads(threads);
  nabla::manual_seed(0);
  nabla::NoGradGuard no_grad;
  auto x = nabla::randn({batch, 3, 224, 224});
  if (model_name == "resnet18") {
    auto model = nabla::vision::models::resnet18();
    model->eval();
    return median_ms([&] { (void)model->forward(x); }, iterations(batch));
  }
  auto model = nabla::vision::models::mobilenet_v2();
  model->eval();
  return median_ms([&] { (void)model->forward(x); }, iterations(batch));
}

// The same measurement in python3-torchvision (Debian's interpreter, where it is installed).
double torchvision_ms(const std::string& model_name, int64_t batch, int threads) {
  const std::string script =
      "import time, torch, torchvision\n"
      "torch.set_num_threads(" +
      std::to_string(threads) +
      ")\n"
      "torch.manual_seed(0)\n"
      "model = torchvision.models." +
      model_name +
      "().eval()\n"
      "x = torch.randn(" +
      std::to_string(batch) +
      ", 3, 224, 224)\n"
      "t = []\n"
      "with torch.no_grad():\n"
      "    for i in range(2 + " +
      std::to_string(iterations(batch)) +
      "):\n"
      "        s = time.perf_counter(); model(x); t.append((time.perf_counter() - s) * 1000)\n"
      "t = sorted(t[2:])\n"
      "print(t[len(t) // 2])\n";
  const std::string command = "/usr/bin/python3 -c '" + script + "' 2>/dev/null";
  FILE* p = popen(command.c_str(), "r");
  if (!p) throw std::runtime_error("cannot start /usr/bin/python3");
  double ms = -1;
  if (std::fscanf(p, "%lf", &ms) != 1) ms = -1;
  if (pclose(p) != 0 || ms < 0)
    throw std::runtime_error("python3-torchvision did not run (install it: scripts/install-deps.sh --test)");
  return ms;
}

}  // namespace

int main() {
  std::printf("%-13s %5s %7s %13s %17s %8s\n", "model", "batch", "threads", "nabla ms", "torchvision ms", "ratio");
  for (const std::string model : {"resnet18", "mobilenet_v2"}) {
    for (int64_t batch : {1, 16}) {
      for (int threads : {1, 2}) {
        const double ours = nabla_ms(model, batch, threads);
        const double theirs = torchvision_ms(model, batch, threads);
        std::printf("%-13s %5lld %7d %13.2f %17.2f %8.2f\n", model.c_str(), static_cast<long long>(batch), threads,
                    ours, theirs, theirs / ours);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
