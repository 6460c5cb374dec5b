// DistributedDataParallel and nabla::distributed's all_reduce over MPI, run under mpirun -np 2
// (one thread per process):
// - steps per second of SGD training on the Fashion-MNIST MLP and CNN of
//   examples/train_fashion_mnist (random 1x28x28 images, global batch 64): one process on the
//   whole batch (rank 0 alone, rank 1 asleep) against two DDP processes on 32 rows each;
// - the share of the all-reduce time that DDP hides behind backward: with c the step's time
//   under no_sync() (no communication), a the time the same buckets' all-reduces take on their
//   own and t the DDP step's time, (c + a - t) / a (1: all hidden, 0: none, below 0: DDP costs
//   more than computing and communicating one after the other);
// - all-reduce bandwidth (float32 sum, 1-64 MB) of nabla::distributed::all_reduce next to a
//   plain MPI_Allreduce loop on the same kind of buffer (the ratio: MPI's time / nabla's, best
//   and median of at least 9 calls each; goal >= 0.9).
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target ddp
//   mpirun -np 2 --bind-to none --mca mpi_yield_when_idle 1 ./build-bench/bench/ddp   # root: --allow-run-as-root
#include <mpi.h>
#include <nabla/distributed.h>
#include <nabla/nabla.h>
#include <nabla/nn/parallel/distributed.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../examples/fashion_mnist_models.h"

namespace {

using namespace nabla;
namespace dist = nabla::distributed;
using Clock = std::chrono::steady_clock;

constexpr int64_t kBatch = 64;
constexpr int kDoneTag = 77;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The slowest rank's value.
double slowest(double v) {
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return v;
}

// Rank 0 trains alone on the whole batch; the other ranks sleep until it says it is done (a
// blocking MPI call would spin on a core).
double single_process_steps_per_second(const std::string& kind, int steps) {
  double rate = 0;
  if (dist::get_rank() == 0) {
    manual_seed(0);
    auto net = fashion_mnist_model(kind);
    optim::SGD opt(net->parameters(), optim::SGDOptions(0.01).momentum(0.9));
    Tensor x = randn({kBatch, 1, 28, 28}), y = randint(0, 10, {kBatch});
    auto step = [&] {
      opt.zero_grad();
      nn::functional::cross_entropy(net->forward(x), y).backward();
      opt.step();
    };
    step();
    const auto t = Clock::now();
    for (int i = 0; i < steps; ++i) step();
    rate = steps / seconds_since(t);
    for (int r = 1; r < dist::get_world_size(); ++r) MPI_Send(&rate, 1, MPI_DOUBLE, r, kDoneTag, MPI_COMM_WORLD);
  } else {
    int arrived = 0;
    while (!arrived) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      MPI_Iprobe(0, kDoneTag, MPI_COMM_WORLD, &arrived, MPI_STATUS_IGNORE);
    }
    MPI_Recv(&rate, 1, MPI_DOUBLE, 0, kDoneTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  return rate;
}

// Seconds per step: DDP's, under no_sync(), and the buckets' all-reduces alone.
struct DdpResult {
  double step, compute, comm;
  size_t buckets;
};

DdpResult ddp_steps_per_second(const std::string& kind, int steps) {
  const int n = dist::get_world_size(), me = dist::get_rank();
  manual_seed(0);
  auto net = fashion_mnist_model(kind);
  auto ddp = nn::parallel::DistributedDataParallel(net.ptr());
  optim::SGD opt(net->parameters(), optim::SGDOptions(0.01).momentum(0.9));
  Tensor x = randn({kBatch, 1, 28, 28}).narrow(0, me * kBatch / n, kBatch / n).contiguous();
  Tensor y = randint(0, 10, {kBatch}).narrow(0, me * kBatch / n, kBatch / n).contiguous();
  auto step = [&] {
    opt.zero_grad();
    nn::functional::cross_entropy(ddp->forward(x), y).backward();
    opt.step();
  };
  auto time_steps = [&] {
    dist::barrier();
    const auto t = Clock::now();
    for (int i = 0; i < steps; ++i) step();
    return slowest(seconds_since(t)) / steps;
  };
  step();
  const double ddp_step = time_steps();
  double compute_step = 0;
  {
    auto guard = ddp->no_sync();
    compute_step = time_steps();
  }

  // The same buckets' all-reduces on their own: issued together, waited for together.
  std::vector<Tensor> flats;
  auto params = net->parameters();
  for (const auto& bucket : ddp->reducer().bucket_indices()) {
    int64_t numel = 0;
    for (size_t i : bucket) numel += params[i].numel();
    flats.push_back(zeros({numel}));
  }
  dist::barrier();
  const auto c = Clock::now();
  for (int i = 0; i < steps; ++i) {
    std::vector<std::shared_ptr<dist::Work>> works;
    for (const Tensor& f : flats) works.push_back(dist::all_reduce(f, dist::ReduceOp::AVG, true));
    for (auto& w : works) w->wait();
  }
  const double comm_step = slowest(seconds_since(c)) / steps;
  return {ddp_step, compute_step, comm_step, flats.size()};
}

// Best and median of the slowest rank's time per call.
struct Times {
  std::vector<double> calls;
  double best() const { return *std::min_element(calls.begin(), calls.end()); }
  double median() {
    std::sort(calls.begin(), calls.end());
    return calls[calls.size() / 2];
  }
};

void bandwidth() {
  if (dist::get_rank() == 0) {
    std::printf(
        "\nall_reduce, float32 sum over %d processes (bandwidth: bytes / best time per call; ratio: MPI time / "
        "nabla time)\n",
        dist::get_world_size());
    std::printf("%8s %14s %14s %12s %12s\n", "MB", "nabla GB/s", "MPI GB/s", "ratio best", "ratio median");
  }
  for (int64_t mb = 1; mb <= 64; mb *= 2) {
    const int64_t numel = mb * 1024 * 1024 / 4;
    const int reps = static_cast<int>(std::max<int64_t>(9, 256 / mb));
    // The same work on both sides: one reused contiguous buffer of zeros (the sums stay 0),
    // reduced in place, two warm-up calls, then alternating timed calls.
    Tensor t = zeros({numel});
    std::vector<float> buffer(static_cast<size_t>(numel), 0.0f);
    std::function<void()> with_nabla = [&] { dist::all_reduce(t); };
    std::function<void()> with_mpi = [&] {
      MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(numel), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    };
    for (int i = 0; i < 2; ++i) {
      with_nabla();
      with_mpi();
    }
    Times nabla_t, mpi_t;
    for (int i = 0; i < reps; ++i) {
      for (auto [call, times] : {std::pair{&with_nabla, &nabla_t}, std::pair{&with_mpi, &mpi_t}}) {
        MPI_Barrier(MPI_COMM_WORLD);
        const auto start = Clock::now();
        (*call)();
        times->calls.push_back(slowest(seconds_since(start)));
      }
    }
    const double bytes = static_cast<double>(numel) * 4;
    if (dist::get_rank() == 0)
      std::printf("%8lld %14.2f %14.2f %12.2f %12.2f\n", static_cast<long long>(mb), bytes / nabla_t.best() / 1e9,
                  bytes / mpi_t.best() / 1e9, mpi_t.best() / nabla_t.best(), mpi_t.median() / nabla_t.median());
  }
}

}  // namespace

int main() {
  set_num_threads(1);
  dist::init_process_group("mpi");
  const int n = dist::get_world_size();
  if (dist::get_rank() == 0)
    std::printf(
        "Fashion-MNIST training, steps per second (global batch %lld, SGD, 1 thread per process)\n"
        "%6s %10s %10s %7s | DDP step: %9s %9s %9s %8s %7s\n",
        static_cast<long long>(kBatch), "model", "1 process", "DDP", "ratio", "ms", "compute", "comm", "buckets",
        "hidden");
  for (const std::string kind : {"mlp", "cnn"}) {
    const int steps = kind == "mlp" ? 200 : 20;
    const double one = single_process_steps_per_second(kind, steps);
    const DdpResult d = ddp_steps_per_second(kind, steps);
    if (dist::get_rank() == 0)
      std::printf("%6s %10.1f %7.1f(%d) %7.2f | %19.2f %9.2f %9.2f %8zu %6.0f%%\n", kind.c_str(), one, 1 / d.step, n,
                  1 / d.step / one, d.step * 1e3, d.compute * 1e3, d.comm * 1e3, d.buckets,
                  100 * (d.compute + d.comm - d.step) / d.comm);
  }
  bandwidth();
  dist::destroy_process_group();
  return 0;
}
