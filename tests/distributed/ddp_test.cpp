// DistributedDataParallel under mpirun (-np 2 and -np 3) against the same training in one
// process: an MLP, a CNN with BatchNorm, no_sync, unused parameters, checkpoint/resume.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "nabla/checkpoint.h"
#include "nabla/distributed.h"
#include "nabla/nabla.h"
#include "nabla/nn/parallel/distributed.h"
#include "support/testing.h"

namespace nabla {
namespace {

namespace dist = nabla::distributed;
namespace F = nabla::nn::functional;
using nn::parallel::DistributedDataParallel;
using nn::parallel::DistributedDataParallelOptions;

constexpr int64_t kBatch = 12;  // divisible by 2 and 3 ranks

::testing::AssertionResult close(const Tensor& a, const Tensor& b) { return testing::same(a, b, 1e-5, 1e-5); }

// The global batch of step s (the same on every rank) and this rank's rows of it.
std::pair<Tensor, Tensor> global_batch(int step, std::vector<int64_t> shape) {
  Generator g = make_generator<CPUGeneratorImpl>(100 + static_cast<uint64_t>(step));
  shape.insert(shape.begin(), kBatch);
  return {randn(shape, g), randint(0, 10, {kBatch}, g)};
}
Tensor shard(const Tensor& t, int rank, int n) { return t.narrow(0, rank * (kBatch / n), kBatch / n); }

nn::Sequential mlp() {
  return nn::Sequential(nn::Linear(6, 40), nn::ReLU(), nn::Linear(40, 30), nn::ReLU(), nn::Linear(30, 10));
}
// The convolution has no bias: BatchNorm cancels it, so its gradient would be rounding noise.
nn::Sequential cnn() {
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 4, 3).padding(1).bias(false)), nn::BatchNorm2d(4), nn::ReLU(),
                        nn::Flatten(), nn::Linear(4 * 6 * 6, 10));
}

// Copies a's parameters and buffers into b.
void copy_state(const nn::Module& a, nn::Module& b) {
  NoGradGuard g;
  auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  auto ba = a.buffers(), bb = b.buffers();
  for (size_t i = 0; i < ba.size(); ++i) bb[i].copy_(ba[i]);
}

// The first element of every rank's copy of t, to check that all ranks hold the same values.
void expect_same_on_all_ranks(const Tensor& t) {
  std::vector<Tensor> all;
  dist::all_gather(all, t.detach());
  for (const Tensor& x : all) EXPECT_SAME(x, t.detach());
}

TEST(DDP, MlpMatchesSingleProcess) {
  const int n = dist::get_world_size(), me = dist::get_rank();
  manual_seed(static_cast<uint64_t>(me));  // different on every rank: DDP broadcasts rank 0's
  auto net = mlp();
  // Tiny buckets: several all-reduces per backward.
  auto ddp = DistributedDataParallel(net.ptr(), DistributedDataParallelOptions().bucket_cap_mb(0.002));
  EXPECT_GE(ddp->reducer().bucket_indices().size(), 2u);
  for (const Tensor& p : net->parameters()) expect_same_on_all_ranks(p);
  auto ref = mlp();
  copy_state(*net, *ref);
  optim::SGD opt(net->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  optim::SGD ref_opt(ref->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  for (int step = 0; step < 3; ++step) {
    auto [x, y] = global_batch(step, {6});
    opt.zero_grad();
    F::cross_entropy(ddp->forward(shard(x, me, n)), shard(y, me, n)).backward();
    opt.step();
    ref_opt.zero_grad();
    F::cross_entropy(ref->forward(x), y).backward();
    ref_opt.step();
  }
  auto p = net->parameters(), q = ref->parameters();
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_TRUE(close(p[i].grad(), q[i].grad())) << "parameter " << i;
    EXPECT_TRUE(close(p[i], q[i])) << "parameter " << i;
  }
  EXPECT_EQ(ddp->named_parameters().keys()[0], "module.0.weight");
}

// Note [DDP reducer]: communication overlaps backward. The first layer's weight gets its
// gradient last; when it arrives (its hook, registered before DDP's, runs before the
// Reducer sees it), some buckets' all-reduces must have started already and others not. A
// Reducer that launched every all-reduce at the end of backward would have started none.
TEST(DDP, BucketsAreReducedWhileBackwardRuns) {
  const int n = dist::get_world_size(), me = dist::get_rank();
  manual_seed(0);
  auto net = mlp();
  const Tensor first = net->parameters()[0];
  std::vector<size_t> launched_when_first_ready;
  const nn::parallel::detail::Reducer* reducer = nullptr;
  first.register_hook([&](const Tensor&) { launched_when_first_ready.push_back(reducer->buckets_launched()); });
  // A bucket per parameter (each is above 10 bytes).
  auto ddp = DistributedDataParallel(net.ptr(), DistributedDataParallelOptions().bucket_cap_mb(0.00001));
  reducer = &ddp->reducer();
  const size_t buckets = reducer->bucket_indices().size();
  EXPECT_EQ(buckets, net->parameters().size());
  auto [x, y] = global_batch(0, {6});
  F::cross_entropy(ddp->forward(shard(x, me, n)), shard(y, me, n)).backward();
  ASSERT_EQ(launched_when_first_ready.size(), 1u);
  EXPECT_GE(launched_when_first_ready[0], 1u);
  EXPECT_LT(launched_when_first_ready[0], buckets);
  EXPECT_EQ(reducer->buckets_launched(), buckets);
  auto ref = mlp();
  copy_state(*net, *ref);
  F::cross_entropy(ref->forward(x), y).backward();
  auto p = net->parameters(), q = ref->parameters();
  for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(close(p[i].grad(), q[i].grad())) << "parameter " << i;
}

// Each rank's BatchNorm normalises its own shard: the reference runs every rank's shard on a
// copy of the model in this process, averages the gradients and keeps rank 0's statistics.
TEST(DDP, CnnWithBatchNormMatchesSimulatedRanks) {
  const int n = dist::get_world_size(), me = dist::get_rank();
  manual_seed(static_cast<uint64_t>(me));
  auto net = cnn();
  auto ddp = DistributedDataParallel(net.ptr());
  auto ref = cnn();
  copy_state(*net, *ref);
  // SGD: a step proportional to the gradient (Adam's would hide a wrongly scaled average).
  optim::SGD opt(net->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  optim::SGD ref_opt(ref->parameters(), optim::SGDOptions(0.1).momentum(0.9));
  for (int step = 0; step < 3; ++step) {
    auto [x, y] = global_batch(step, {1, 6, 6});
    opt.zero_grad();
    F::cross_entropy(ddp->forward(shard(x, me, n)), shard(y, me, n)).backward();
    opt.step();
    // The reference: rank r's forward and backward on its shard, from rank 0's buffers.
    std::vector<Tensor> start_buffers, rank0_buffers, grad_sum;
    for (const Tensor& b : ref->buffers()) start_buffers.push_back(b.clone());
    for (int r = 0; r < n; ++r) {
      {
        NoGradGuard g;
        auto bs = ref->buffers();
        for (size_t i = 0; i < bs.size(); ++i) bs[i].copy_(start_buffers[i]);
      }
      ref_opt.zero_grad();
      F::cross_entropy(ref->forward(shard(x, r, n)), shard(y, r, n)).backward();
      auto ps = ref->parameters();
      for (size_t i = 0; i < ps.size(); ++i) {
        if (r == 0)
          grad_sum.push_back(ps[i].grad().clone());
        else
          grad_sum[i] = grad_sum[i] + ps[i].grad();
      }
      if (r == 0)
        for (const Tensor& b : ref->buffers()) rank0_buffers.push_back(b.clone());
    }
    {
      NoGradGuard g;
      auto ps = ref->parameters();
      for (size_t i = 0; i < ps.size(); ++i) ps[i].mutable_grad().copy_(grad_sum[i] / n);
      auto bs = ref->buffers();
      for (size_t i = 0; i < bs.size(); ++i) bs[i].copy_(rank0_buffers[i]);
    }
    ref_opt.step();
  }
  auto p = net->parameters(), q = ref->parameters();
  for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(close(p[i], q[i])) << "parameter " << i;
  // An eval forward broadcasts rank 0's statistics (and does not change them).
  ddp->eval();
  {
    NoGradGuard g;
    ddp->forward(zeros({2, 1, 6, 6}));
  }
  auto b = net->buffers(), rb = ref->buffers();
  for (size_t i = 0; i < b.size(); ++i) EXPECT_TRUE(close(b[i], rb[i])) << "buffer " << i;
}

TEST(DDP, NoSyncAccumulatesThenAverages) {
  const int n = dist::get_world_size(), me = dist::get_rank();
  auto net = mlp();
  auto ddp = DistributedDataParallel(net.ptr());
  auto ref = mlp();
  copy_state(*net, *ref);
  auto [x1, y1] = global_batch(1, {6});
  auto [x2, y2] = global_batch(2, {6});
  {
    auto guard = ddp->no_sync();
    F::cross_entropy(ddp->forward(shard(x1, me, n)), shard(y1, me, n)).backward();
  }
  // Only this rank's gradient so far.
  auto local = mlp();
  copy_state(*net, *local);
  F::cross_entropy(local->forward(shard(x1, me, n)), shard(y1, me, n)).backward();
  EXPECT_TRUE(close(net->parameters()[0].grad(), local->parameters()[0].grad()));
  F::cross_entropy(ddp->forward(shard(x2, me, n)), shard(y2, me, n)).backward();
  F::cross_entropy(ref->forward(x1), y1).backward();
  F::cross_entropy(ref->forward(x2), y2).backward();
  auto p = net->parameters(), q = ref->parameters();
  for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(close(p[i].grad(), q[i].grad())) << "parameter " << i;
}

// a: used by every rank, b: only by rank 0, c: by none.
struct BranchesImpl : nn::Module {
  nn::Linear a{nullptr}, b{nullptr}, c{nullptr};
  BranchesImpl() {
    a = register_module("a", nn::Linear(6, 10));
    b = register_module("b", nn::Linear(6, 10));
    c = register_module("c", nn::Linear(6, 10));
  }
  Tensor forward(const Tensor& x, bool use_b) { return use_b ? a(x) + b(x) : a(x); }
};
NABLA_MODULE(Branches);

TEST(DDP, UnusedParameters) {
  const int n = dist::get_world_size(), me = dist::get_rank();
  Branches net, ref;
  auto ddp = DistributedDataParallel(net.ptr(), DistributedDataParallelOptions().find_unused_parameters(true));
  copy_state(*net, *ref);
  auto [x, y] = global_batch(0, {6});
  F::cross_entropy(ddp->forward(shard(x, me, n), me == 0), shard(y, me, n)).backward();
  Tensor total = zeros({});
  for (int r = 0; r < n; ++r) total = total + F::cross_entropy(ref->forward(shard(x, r, n), r == 0), shard(y, r, n));
  (total / n).backward();
  for (const char* name : {"a.weight", "a.bias", "b.weight", "b.bias"}) {
    EXPECT_TRUE(close(net->named_parameters()[name].grad(), ref->named_parameters()[name].grad())) << name;
  }
  EXPECT_FALSE(net->c->weight.grad().defined());
  // A second iteration reduces again.
  F::cross_entropy(ddp->forward(shard(x, me, n), me == 0), shard(y, me, n)).backward();
  EXPECT_TRUE(close(net->a->weight.grad(), ref->a->weight.grad() * 2));
}

TEST(DDP, UnusedParameterWithoutDetectionIsAnError) {
  Branches net;
  auto ddp = DistributedDataParallel(net.ptr());
  // A forward without backward (evaluation with grad mode on) leaves nothing to finish.
  ddp->forward(ones({2, 6}), true);
  ddp->forward(ones({2, 6}), false).sum().backward();
  EXPECT_EQ(testing::error_message([&] {
              ddp->forward(ones({2, 6}), false);
            })
                .rfind("Expected to have finished reduction in the prior iteration before starting a "
                       "new one. This error indicates that your module has parameters that were not "
                       "used in producing loss.",
                       0),
            0u);
}

// A forward that returns two tensors: find_unused_parameters cannot search its graph.
struct TwoOutputsImpl : nn::Module {
  nn::Linear a{nullptr};
  TwoOutputsImpl() { a = register_module("a", nn::Linear(6, 2)); }
  std::pair<Tensor, Tensor> forward(const Tensor& x) { return {a(x), a(x) * 2}; }
};
NABLA_MODULE(TwoOutputs);

TEST(DDP, FindUnusedNeedsATensorOutput) {
  TwoOutputs net;
  auto plain = DistributedDataParallel(net.ptr());
  auto [o1, o2] = plain->forward(ones({2, 6}));
  (o1.sum() + o2.sum()).backward();
  EXPECT_TRUE(net->a->weight.grad().defined());
  auto ddp = DistributedDataParallel(net.ptr(), DistributedDataParallelOptions().find_unused_parameters(true));
  EXPECT_EQ(testing::error_message([&] {
              ddp->forward(ones({2, 6}));
            }),
            "DistributedDataParallel: find_unused_parameters needs the wrapped module's forward to return a Tensor "
            "(the graph is searched from it for the parameters it used)");
}

// Rank 0 writes the checkpoint; every rank resumes from it into a fresh model and continues
// exactly as the run that never stopped.
TEST(DDP, CheckpointFromRank0ResumedOnAllRanks) {
  const int n = dist::get_world_size(), me = dist::get_rank();
  // One file per job (ctest may run the 2- and 3-process jobs at once): rank 0's process id.
  Tensor pid = tensor(std::vector<int64_t>{static_cast<int64_t>(getpid())}, kLong);
  dist::broadcast(pid, 0);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("nabla_ddp_checkpoint_" + std::to_string(pid.item<int64_t>()) + ".safetensors"))
                               .string();
  auto net = mlp();
  auto ddp = DistributedDataParallel(net.ptr());
  optim::Adam opt(net->parameters(), optim::AdamOptions(0.01));
  auto train = [&](auto& model, optim::Optimizer& o, int step) {
    auto [x, y] = global_batch(step, {6});
    o.zero_grad();
    F::cross_entropy(model->forward(shard(x, me, n)), shard(y, me, n)).backward();
    o.step();
  };
  train(ddp, opt, 0);
  if (me == 0) {
    Checkpoint c;
    c.add_module(*net);
    c.add_optimizer(opt);
    c.save(path);
  }
  dist::barrier();
  manual_seed(50 + static_cast<uint64_t>(me));
  auto resumed = mlp();
  optim::Adam resumed_opt(resumed->parameters(), optim::AdamOptions(0.01));
  auto c = Checkpoint::load(path);
  resumed->load_state_dict(c.module_state());
  resumed_opt.load_state_dict(c.optimizer_state());
  auto ddp2 = DistributedDataParallel(resumed.ptr());
  train(ddp, opt, 1);
  train(ddp2, resumed_opt, 1);
  auto p = net->parameters(), q = resumed->parameters();
  for (size_t i = 0; i < p.size(); ++i) EXPECT_SAME(p[i], q[i]);
  expect_same_on_all_ranks(q[0]);
  dist::barrier();
  if (me == 0) std::filesystem::remove(path);
}

}  // namespace
}  // namespace nabla
