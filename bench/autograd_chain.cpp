// Autograd overhead: forward + backward of a chain of 1000 scalar ops (1-element float
// tensors, alternating mul and add), nabla against libtorch in the same run. Prints the time
// per op of both and the ratio (libtorch / nabla).
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target autograd_chain
//   ./build-bench/bench/autograd_chain
#include <benchmark/benchmark.h>
#include <nabla/nabla.h>
#include <torch/torch.h>

#include <cstdio>
#include <map>
#include <string>

namespace {

constexpr int kChain = 1000;
std::map<std::string, double> g_ns;  // benchmark name → ns per iteration

template <typename T>
T chain(const T& x0, const T& a, const T& b) {
  T x = x0;
  for (int i = 0; i < kChain; ++i) x = (i % 2 == 0) ? x * a : x + b;
  return x;
}

void nabla_chain(benchmark::State& s) {
  nabla::set_num_threads(1);
  auto a = nabla::full({1}, 1.0001), b = nabla::full({1}, 0.0001);
  auto x = nabla::ones({1}, nabla::dtype(nabla::kFloat).requires_grad(true));
  for (auto _ : s) {
    chain(x, a, b).backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
    x.mutable_grad() = nabla::Tensor();
  }
  s.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(s.iterations()) * kChain,
                                               benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void torch_chain(benchmark::State& s) {
  torch::set_num_threads(1);
  auto a = torch::full({1}, 1.0001), b = torch::full({1}, 0.0001);
  auto x = torch::ones({1}, torch::requires_grad());
  for (auto _ : s) {
    chain(x, a, b).backward();
    benchmark::DoNotOptimize(x.grad().data_ptr());
    x.mutable_grad() = torch::Tensor();
  }
  s.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(s.iterations()) * kChain,
                                               benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) g_ns[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

BENCHMARK(nabla_chain)->Unit(benchmark::kMicrosecond);
BENCHMARK(torch_chain)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  Collector reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  if (g_ns.count("nabla_chain") && g_ns.count("torch_chain")) {
    // GetAdjustedRealTime is in the benchmark's unit (µs) per iteration of kChain ops.
    double nabla_ns = g_ns["nabla_chain"] * 1000.0 / kChain;
    double torch_ns = g_ns["torch_chain"] * 1000.0 / kChain;
    std::printf("\nforward+backward per op (chain of %d scalar mul/add):\n", kChain);
    std::printf("  nabla    %8.1f ns\n  libtorch %8.1f ns\n  ratio    %8.2fx (libtorch / nabla)\n", nabla_ns, torch_ns,
                torch_ns / nabla_ns);
  }
  benchmark::Shutdown();
  return 0;
}
