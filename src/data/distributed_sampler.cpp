#include <algorithm>

#include "nabla/data/samplers.h"
#include "nabla/error.h"
#include "nabla/functions.h"

namespace nabla::data::samplers {

DistributedSampler::DistributedSampler(size_t size, size_t num_replicas, size_t rank, bool allow_duplicates,
                                       bool shuffle, uint64_t seed)
    : size_(size),
      num_replicas_(num_replicas),
      rank_(rank),
      allow_duplicates_(allow_duplicates),
      shuffle_(shuffle),
      seed_(seed) {
  NABLA_CHECK(num_replicas > 0, "DistributedSampler: num_replicas must be positive");
  NABLA_CHECK(rank < num_replicas, "Invalid rank ", rank, ", rank should be in the interval [0, ", num_replicas - 1,
              "]");
  reset();
}

size_t DistributedSampler::local_size() const noexcept {
  // Python: ceil(len / R), or with drop_last floor(len / R).
  return allow_duplicates_ ? (size_ + num_replicas_ - 1) / num_replicas_ : size_ / num_replicas_;
}

void DistributedSampler::reset(std::optional<size_t> new_size) {
  if (new_size) size_ = *new_size;
  std::vector<size_t> order(size_);
  if (shuffle_ && size_ > 0) {
    Generator gen = make_generator<CPUGeneratorImpl>(seed_ + epoch_);
    const Tensor perm = randperm(static_cast<int64_t>(size_), gen);
    const int64_t* p = perm.data_ptr<int64_t>();
    for (size_t i = 0; i < size_; ++i) order[i] = static_cast<size_t>(p[i]);
  } else {
    for (size_t i = 0; i < size_; ++i) order[i] = i;
  }
  const size_t total = local_size() * num_replicas_;
  // Padding repeats the order from its start as often as needed (Python's indices * ceil(...)).
  for (size_t i = size_; i < total && size_ > 0; ++i) order.push_back(order[i % size_]);
  order.resize(std::min(order.size(), total));
  indices_.clear();
  for (size_t i = rank_; i < order.size(); i += num_replicas_) indices_.push_back(order[i]);
  index_ = 0;
}

DistributedRandomSampler::DistributedRandomSampler(size_t size, size_t num_replicas, size_t rank, bool allow_duplicates,
                                                   uint64_t seed)
    : DistributedSampler(size, num_replicas, rank, allow_duplicates, true, seed) {}

DistributedSequentialSampler::DistributedSequentialSampler(size_t size, size_t num_replicas, size_t rank,
                                                           bool allow_duplicates)
    : DistributedSampler(size, num_replicas, rank, allow_duplicates, false, 0) {}

}  // namespace nabla::data::samplers
