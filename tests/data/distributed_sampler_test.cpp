// DistributedRandomSampler / DistributedSequentialSampler against Python's DistributedSampler.
#include <gtest/gtest.h>

#include <string>

#include "nabla/data/samplers.h"
#include "support/oracle.h"
#include "support/testing.h"

namespace nabla {
namespace {

using data::samplers::DistributedRandomSampler;
using data::samplers::DistributedSequentialSampler;

Tensor shard(data::samplers::Sampler& s) {
  std::vector<int64_t> out;
  while (auto idx = s.next(4)) {
    for (size_t i : *idx) out.push_back(static_cast<int64_t>(i));
  }
  return tensor(out, kLong);
}

Tensor python_shard(size_t size, size_t replicas, size_t rank, bool shuffle, bool drop_last, size_t seed,
                    size_t epoch) {
  return oracle::eval(std::string("(lambda s: (s.set_epoch(") + std::to_string(epoch) +
                      "), torch.tensor(list(s), dtype=torch.int64))[1])(torch.utils.data.DistributedSampler(range(" +
                      std::to_string(size) + "), num_replicas=" + std::to_string(replicas) +
                      ", rank=" + std::to_string(rank) + ", shuffle=" + (shuffle ? "True" : "False") +
                      ", seed=" + std::to_string(seed) + ", drop_last=" + (drop_last ? "True" : "False") + "))");
}

TEST(DistributedSampler, RandomMatchesPython) {
  // Sizes that divide evenly, need padding (10 over 3: two indices repeated), or are cut.
  for (size_t size : {12, 10, 2}) {
    for (size_t replicas : {2, 3, 4}) {
      for (bool drop_last : {false, true}) {
        for (size_t rank = 0; rank < replicas; ++rank) {
          DistributedRandomSampler s(size, replicas, rank, !drop_last, 5);
          for (size_t epoch : {0, 3}) {
            s.set_epoch(epoch);
            s.reset();
            SCOPED_TRACE(::testing::Message() << "size " << size << " replicas " << replicas << " rank " << rank
                                              << " drop_last " << drop_last << " epoch " << epoch);
            EXPECT_SAME(shard(s), python_shard(size, replicas, rank, true, drop_last, 5, epoch));
          }
        }
      }
    }
  }
}

TEST(DistributedSampler, SequentialMatchesPython) {
  for (bool drop_last : {false, true}) {
    for (size_t rank = 0; rank < 3; ++rank) {
      DistributedSequentialSampler s(10, 3, rank, !drop_last);
      EXPECT_EQ(s.size(), drop_last ? 3u : 4u);
      EXPECT_SAME(shard(s), python_shard(10, 3, rank, false, drop_last, 0, 0));
    }
  }
}

TEST(DistributedSampler, DefaultSeedIsPythonsAndResetKeepsEpoch) {
  DistributedRandomSampler s(9, 2, 1);
  s.set_epoch(2);
  s.reset();
  const Tensor first = shard(s);
  EXPECT_SAME(first, python_shard(9, 2, 1, true, false, 0, 2));
  s.reset();
  EXPECT_SAME(shard(s), first);
  s.set_epoch(3);
  s.reset();
  EXPECT_FALSE(shard(s).equal(first));
}

TEST(DistributedSampler, BadRank) {
  EXPECT_EQ(testing::error_message([] { DistributedRandomSampler(10, 2, 2); }),
            oracle::error_of("torch.utils.data.DistributedSampler(range(10), num_replicas=2, rank=2)"));
}

}  // namespace
}  // namespace nabla
