// Per-op cost of small elementwise ops, nabla against libtorch in the same run.
// Prints one line per case with both times and the ratio (libtorch / nabla).
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target op_overhead
//   ./build-bench/bench/op_overhead
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>
#include <map>
#include <string>

#include <nabla/nabla.h>

namespace {

std::map<std::string, double> g_ns;  // benchmark name → ns per iteration

void nabla_add_1(benchmark::State& s) {
  nabla::set_num_threads(1);
  auto a = nabla::ones({1}), b = nabla::ones({1});
  for (auto _ : s) benchmark::DoNotOptimize(a + b);
}
void torch_add_1(benchmark::State& s) {
  torch::set_num_threads(1);
  auto a = torch::ones({1}), b = torch::ones({1});
  for (auto _ : s) benchmark::DoNotOptimize(a + b);
}
void nabla_mul_scalar_1(benchmark::State& s) {
  auto a = nabla::ones({1});
  for (auto _ : s) benchmark::DoNotOptimize(a * 2.5);
}
void torch_mul_scalar_1(benchmark::State& s) {
  auto a = torch::ones({1});
  for (auto _ : s) benchmark::DoNotOptimize(a * 2.5);
}
void nabla_add_bcast_64x64(benchmark::State& s) {
  auto a = nabla::ones({64, 64}), b = nabla::ones({64});
  for (auto _ : s) benchmark::DoNotOptimize(a + b);
}
void torch_add_bcast_64x64(benchmark::State& s) {
  auto a = torch::ones({64, 64}), b = torch::ones({64});
  for (auto _ : s) benchmark::DoNotOptimize(a + b);
}
void nabla_add_1m(benchmark::State& s) {
  auto a = nabla::ones({1 << 20}), b = nabla::ones({1 << 20});
  for (auto _ : s) benchmark::DoNotOptimize(a + b);
}
void torch_add_1m(benchmark::State& s) {
  auto a = torch::ones({1 << 20}), b = torch::ones({1 << 20});
  for (auto _ : s) benchmark::DoNotOptimize(a + b);
}
void nabla_sum_1m(benchmark::State& s) {
  auto a = nabla::ones({1 << 20});
  for (auto _ : s) benchmark::DoNotOptimize(a.sum());
}
void torch_sum_1m(benchmark::State& s) {
  auto a = torch::ones({1 << 20});
  for (auto _ : s) benchmark::DoNotOptimize(a.sum());
}

class Collector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) g_ns[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

BENCHMARK(nabla_add_1);
BENCHMARK(torch_add_1);
BENCHMARK(nabla_mul_scalar_1);
BENCHMARK(torch_mul_scalar_1);
BENCHMARK(nabla_add_bcast_64x64);
BENCHMARK(torch_add_bcast_64x64);
BENCHMARK(nabla_add_1m);
BENCHMARK(torch_add_1m);
BENCHMARK(nabla_sum_1m);
BENCHMARK(torch_sum_1m);

int main(int argc, char** argv) {
  nabla::set_num_threads(1);
  torch::set_num_threads(1);
  benchmark::Initialize(&argc, argv);
  Collector reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n%-22s %12s %12s %10s\n", "case (1 thread)", "nabla ns", "libtorch ns", "speedup");
  for (const char* c : {"add_1", "mul_scalar_1", "add_bcast_64x64", "add_1m", "sum_1m"}) {
    double n = g_ns[std::string("nabla_") + c], t = g_ns[std::string("torch_") + c];
    if (n > 0 && t > 0) std::printf("%-22s %12.1f %12.1f %9.2fx\n", c, n, t, t / n);
  }
  return 0;
}
