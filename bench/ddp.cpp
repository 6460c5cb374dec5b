// DistributedDataParallel and nabla::distributed's all_reduce over MPI, run under mpirun -np 2
// (one thread per process):
// - steps per second of SGD training on the Fashion-MNIST MLP and CNN of
//   examples/train_fashion_mnist (random 1x28x28 images, global batch 64): one process on the
//   whole batch (rank 0 alone, rank 1 asleep) against two DDP processes on 32 rows each;
// - the share of the all-reduce time that DDP hides behind backward: 1 - (time backward waits
//   for unfinished all-reduces) / (time the same buckets' all-reduces take on their own);
// - all-reduce bandwidth (float32 sum, 1-64 MB) of nabla::distributed::all_reduce next to a
//   plain MPI_Allreduce loop over the same buffer (the ratio: nabla / MPI, goal >= 0.9).
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target ddp
//   mpirun -np 2 --bind-to none ./build-bench/bench/ddp      # add --allow-run-as-root as root
#include <mpi.h>
#include <nabla/distributed.h>
#include <nabla/nabla.h>
#include <nabla/nn/parallel/distributed.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace nabla;
namespace dist = nabla::distributed;
using Clock = std::chrono::steady_clock;

constexpr int64_t kBatch = 64;
constexpr int kDoneTag = 77;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

nn::Sequential make_model(const std::string& kind) {
  if (kind == "mlp") {
    return nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(),
                          nn::Linear(128, 10));
  }
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Flatten(), nn::Linear(3136, 128), nn::ReLU(), nn::Linear(128, 10));
}

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
    auto net = make_model(kind);
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

struct DdpResult {
  double steps_per_second;
  double hidden_share;
  size_t buckets;
};

DdpResult ddp_steps_per_second(const std::string& kind, int steps) {
  const int n = dist::get_world_size(), me = dist::get_rank();
  manual_seed(0);
  auto net = make_model(kind);
  auto ddp = nn::parallel::DistributedDataParallel(net.ptr());
  optim::SGD opt(net->parameters(), optim::SGDOptions(0.01).momentum(0.9));
  Tensor x = randn({kBatch, 1, 28, 28}).narrow(0, me * kBatch / n, kBatch / n).contiguous();
  Tensor y = randint(0, 10, {kBatch}).narrow(0, me * kBatch / n, kBatch / n).contiguous();
  double waited = 0;
  auto step = [&] {
    opt.zero_grad();
    nn::functional::cross_entropy(ddp->forward(x), y).backward();
    opt.step();
    waited += std::chrono::duration<double>(ddp->reducer().last_wait_time()).count();
  };
  step();
  dist::barrier();
  waited = 0;
  const auto t = Clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double rate = steps / slowest(seconds_since(t));

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
  const double comm = slowest(seconds_since(c));
  return {rate, 1 - slowest(waited) / comm, flats.size()};
}

void bandwidth() {
  std::printf("\nall_reduce, float32 sum over %d processes (bandwidth: bytes / time per call)\n",
              dist::get_world_size());
  std::printf("%8s %14s %14s %8s\n", "MB", "nabla GB/s", "MPI GB/s", "ratio");
  for (int64_t mb = 1; mb <= 64; mb *= 2) {
    const int64_t numel = mb * 1024 * 1024 / 4;
    const int reps = static_cast<int>(std::max<int64_t>(3, 128 / mb));
    Tensor t = ones({numel});
    dist::all_reduce(t);
    dist::barrier();
    auto start = Clock::now();
    for (int i = 0; i < reps; ++i) dist::all_reduce(t);
    const double nabla_s = slowest(seconds_since(start)) / reps;
    std::vector<float> buffer(static_cast<size_t>(numel), 1.0f);
    MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(numel), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Barrier(MPI_COMM_WORLD);
    start = Clock::now();
    for (int i = 0; i < reps; ++i)
      MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(numel), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    const double mpi_s = slowest(seconds_since(start)) / reps;
    const double bytes = static_cast<double>(numel) * 4;
    if (dist::get_rank() == 0)
      std::printf("%8lld %14.2f %14.2f %8.2f\n", static_cast<long long>(mb), bytes / nabla_s / 1e9, bytes / mpi_s / 1e9,
                  mpi_s / nabla_s);
  }
}

}  // namespace

int main() {
  set_num_threads(1);
  dist::init_process_group("mpi");
  const int n = dist::get_world_size();
  if (dist::get_rank() == 0)
    std::printf(
        "Fashion-MNIST training steps per second (global batch %lld, SGD, 1 thread per process)\n"
        "%6s %12s %12s %8s %8s %14s\n",
        static_cast<long long>(kBatch), "model", "1 process", "DDP", "ratio", "buckets", "hidden comm");
  for (const std::string kind : {"mlp", "cnn"}) {
    const int steps = kind == "mlp" ? 200 : 20;
    const double one = single_process_steps_per_second(kind, steps);
    const DdpResult d = ddp_steps_per_second(kind, steps);
    if (dist::get_rank() == 0)
      std::printf("%6s %12.1f %9.1f(%d) %8.2f %8zu %13.0f%%\n", kind.c_str(), one, d.steps_per_second, n,
                  d.steps_per_second / one, d.buckets, 100 * d.hidden_share);
  }
  bandwidth();
  dist::destroy_process_group();
  return 0;
}
