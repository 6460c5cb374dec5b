#pragma once
/// Samplers: the order in which a DataLoader visits a dataset (libtorch's
/// torch::data::samplers, with Python's RandomSampler draws).
///   nabla::data::samplers::RandomSampler s(60000, gen);
///   s.reset();  while (auto idx = s.next(64)) { ... }
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/generator.h"
#include "nabla/tensor.h"

namespace nabla::data::samplers {

/// A sampler's position, as named tensors (it goes into checkpoints with nabla::save).
using SamplerState = std::vector<std::pair<std::string, Tensor>>;

class Sampler {
 public:
  virtual ~Sampler() = default;
  /// Starts a new pass over the dataset (a new order for a RandomSampler); new_size changes
  /// the dataset size.
  virtual void reset(std::optional<size_t> new_size = std::nullopt) = 0;
  /// Number of indices in a pass.
  virtual size_t size() const noexcept = 0;
  /// The next up to batch_size indices of this pass; nullopt once the pass is over.
  std::optional<std::vector<size_t>> next(size_t batch_size);
  /// How many indices of this pass next() has returned.
  size_t index() const noexcept { return index_; }
  /// All indices of this pass, in order.
  const std::vector<size_t>& indices() const noexcept { return indices_; }
  /// The pass's order and position ("indices", "index").
  SamplerState state_dict() const;
  /// Restores a state_dict: next() continues the saved pass where it stopped.
  void load_state_dict(const SamplerState& state);

 protected:
  std::vector<size_t> indices_;
  size_t index_ = 0;
};

/// 0, 1, ..., size-1.
class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(size_t size);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  size_t size() const noexcept override { return size_; }

 private:
  size_t size_;
};

/// A random order drawn as Python's RandomSampler (without replacement) draws it: with a
/// generator, torch.randperm(size, generator) for each whole multiple of size in num_samples and
/// then one more randperm cut to the remainder (also drawn when the remainder is 0, as
/// PyTorch's generator-based sampler does at the end of each pass); without one, a seed drawn
/// from the default generator seeds a fresh generator for the pass.
class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(size_t size, std::optional<Generator> generator = std::nullopt,
                         std::optional<size_t> num_samples = std::nullopt);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  size_t size() const noexcept override { return num_samples_.value_or(size_); }
  const std::optional<Generator>& generator() const noexcept { return generator_; }

 private:
  size_t size_;
  std::optional<Generator> generator_;
  std::optional<size_t> num_samples_;
};

/// Length-bucketed batches for variable-length sequences: each pass draws a random order
/// (torch.randperm with the generator), cuts it into buckets of batch_size * bucket_batches
/// examples, sorts each bucket by decreasing length (stably) and cuts it into batches, then
/// shuffles the order of the full batches (a short last batch stays last). A DataLoader with
/// the same batch_size (and shuffle off) then gets batches of similar lengths, so that little
/// of each padded batch is padding.
///   auto sampler = std::make_unique<BucketSampler>(lengths, 64, 50, nabla::make_generator<CPUGeneratorImpl>(0));
///   auto loader = data::DataLoader(dataset, data::DataLoaderOptions(64), std::move(sampler), collate);
class BucketSampler : public Sampler {
 public:
  BucketSampler(std::vector<int64_t> lengths, size_t batch_size, size_t bucket_batches = 50,
                std::optional<Generator> generator = std::nullopt);
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  size_t size() const noexcept override { return lengths_.size(); }

 private:
  std::vector<int64_t> lengths_;
  size_t batch_size_;
  size_t bucket_batches_;
  std::optional<Generator> generator_;
};

/// The shard of one process (rank) of num_replicas, in the order of Python's DistributedSampler:
/// the dataset's order for the epoch (a randperm from a generator seeded seed + epoch, or
/// 0..size-1), padded with its first indices to a multiple of num_replicas (allow_duplicates,
/// Python's drop_last=False) or cut to one (drop_last=True), then every num_replicas-th index
/// from position rank. (libtorch's samplers of these names shuffle with std::mt19937 and give
/// each rank a contiguous block instead.)
///   nabla::data::samplers::DistributedRandomSampler s(60000, world_size, rank);
///   for (epoch ...) { s.set_epoch(epoch); s.reset(); while (auto idx = s.next(64)) ... }
class DistributedSampler : public Sampler {
 public:
  void reset(std::optional<size_t> new_size = std::nullopt) override;
  size_t size() const noexcept override { return local_size(); }
  /// A new order for the next reset() (Python's set_epoch: call it before each epoch).
  void set_epoch(size_t epoch) { epoch_ = epoch; }
  size_t epoch() const noexcept { return epoch_; }
  size_t num_replicas() const noexcept { return num_replicas_; }
  size_t rank() const noexcept { return rank_; }

 protected:
  DistributedSampler(size_t size, size_t num_replicas, size_t rank, bool allow_duplicates, bool shuffle, uint64_t seed);

 private:
  size_t local_size() const noexcept;
  size_t size_;
  size_t num_replicas_;
  size_t rank_;
  bool allow_duplicates_;
  bool shuffle_;
  uint64_t seed_;
  size_t epoch_ = 0;
};

/// Python's DistributedSampler(shuffle=True, seed=seed, drop_last=!allow_duplicates).
class DistributedRandomSampler : public DistributedSampler {
 public:
  explicit DistributedRandomSampler(size_t size, size_t num_replicas = 1, size_t rank = 0, bool allow_duplicates = true,
                                    uint64_t seed = 0);
};

/// Python's DistributedSampler(shuffle=False, drop_last=!allow_duplicates).
class DistributedSequentialSampler : public DistributedSampler {
 public:
  explicit DistributedSequentialSampler(size_t size, size_t num_replicas = 1, size_t rank = 0,
                                        bool allow_duplicates = true);
};

}  // namespace nabla::data::samplers
