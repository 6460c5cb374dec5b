// The distributed samplers under mpirun: the ranks' shards, gathered, interleave into the
// single-process order (the one-replica sampler's, for the same seed and epoch) padded to a
// multiple of the world size, so that every index is seen and the shards are disjoint.
#include <gtest/gtest.h>

#include "nabla/data/samplers.h"
#include "nabla/distributed.h"
#include "nabla/nabla.h"
#include "support/testing.h"

namespace nabla {
namespace {

namespace dist = nabla::distributed;
using data::samplers::DistributedRandomSampler;
using data::samplers::DistributedSequentialSampler;

std::vector<int64_t> drain(data::samplers::Sampler& s) {
  std::vector<int64_t> out;
  while (auto idx = s.next(3)) {
    for (size_t i : *idx) out.push_back(static_cast<int64_t>(i));
  }
  return out;
}

// The shards of all ranks, interleaved as the samplers dealt them out.
std::vector<int64_t> interleave_shards(data::samplers::Sampler& mine, size_t local) {
  const int n = dist::get_world_size();
  const std::vector<int64_t> own = drain(mine);
  EXPECT_EQ(own.size(), local);
  std::vector<Tensor> all;
  dist::all_gather(all, tensor(own, kLong));
  std::vector<int64_t> out;
  for (size_t i = 0; i < local; ++i) {
    for (int r = 0; r < n; ++r) out.push_back(all[static_cast<size_t>(r)][static_cast<int64_t>(i)].item<int64_t>());
  }
  return out;
}

std::vector<int64_t> padded(std::vector<int64_t> order, size_t total) {
  for (size_t i = 0; order.size() < total; ++i) order.push_back(order[i]);
  return order;
}

TEST(DistributedSamplers, ShardsInterleaveIntoTheSingleProcessOrder) {
  const size_t n = static_cast<size_t>(dist::get_world_size()), me = static_cast<size_t>(dist::get_rank());
  const size_t size = 10, local = (size + n - 1) / n;
  for (size_t epoch : {0, 4}) {
    DistributedRandomSampler shard(size, n, me, true, 7), whole(size, 1, 0, true, 7);
    shard.set_epoch(epoch);
    shard.reset();
    whole.set_epoch(epoch);
    whole.reset();
    EXPECT_EQ(interleave_shards(shard, local), padded(drain(whole), local * n)) << "epoch " << epoch;
  }
  DistributedSequentialSampler seq(size, n, me);
  std::vector<int64_t> expected(size);
  for (size_t i = 0; i < size; ++i) expected[i] = static_cast<int64_t>(i);
  EXPECT_EQ(interleave_shards(seq, local), padded(expected, local * n));
}

}  // namespace
}  // namespace nabla
