#include "nabla/data/samplers.h"

#include <algorithm>
#include <cstring>

#include "data/state.h"
#include "nabla/functions.h"

namespace nabla::data {

namespace detail {

const Tensor& state_entry(const std::vector<std::pair<std::string, Tensor>>& state, const std::string& key,
                          const char* owner) {
  for (const auto& [name, t] : state)
    if (name == key) return t;
  throw Error(::nabla::detail::str(owner, ".load_state_dict: the state has no entry '", key, "'"));
}

int64_t state_int(const std::vector<std::pair<std::string, Tensor>>& state, const std::string& key, const char* owner) {
  const Tensor& t = state_entry(state, key, owner);
  NABLA_CHECK(t.numel() == 1 && t.scalar_type() == kLong, owner, ".load_state_dict: '", key,
              "' must be a single int64 value");
  return t.item<int64_t>();
}

}  // namespace detail

namespace samplers {

std::optional<std::vector<size_t>> Sampler::next(size_t batch_size) {
  if (index_ >= indices_.size()) return std::nullopt;
  const size_t n = std::min(batch_size, indices_.size() - index_);
  std::vector<size_t> out(indices_.begin() + static_cast<std::ptrdiff_t>(index_),
                          indices_.begin() + static_cast<std::ptrdiff_t>(index_ + n));
  index_ += n;
  return out;
}

SamplerState Sampler::state_dict() const {
  Tensor idx = empty({static_cast<int64_t>(indices_.size())}, kLong);
  int64_t* p = idx.data_ptr<int64_t>();
  for (size_t i = 0; i < indices_.size(); ++i) p[i] = static_cast<int64_t>(indices_[i]);
  return {{"indices", idx}, {"index", scalar_tensor(static_cast<int64_t>(index_), kLong)}};
}

void Sampler::load_state_dict(const SamplerState& state) {
  const Tensor& idx = data::detail::state_entry(state, "indices", "Sampler");
  NABLA_CHECK(idx.dim() == 1 && idx.scalar_type() == kLong,
              "Sampler.load_state_dict: 'indices' must be a 1-D int64 tensor");
  const int64_t index = data::detail::state_int(state, "index", "Sampler");
  NABLA_CHECK(index >= 0 && index <= idx.size(0), "Sampler.load_state_dict: 'index' ", index,
              " is outside the pass of ", idx.size(0), " indices");
  const Tensor c = idx.contiguous();
  const int64_t* p = c.data_ptr<int64_t>();
  std::vector<size_t> indices(static_cast<size_t>(c.numel()));
  for (size_t i = 0; i < indices.size(); ++i) {
    NABLA_CHECK(p[i] >= 0, "Sampler.load_state_dict: negative index ", p[i], " in 'indices'");
    indices[i] = static_cast<size_t>(p[i]);
  }
  indices_ = std::move(indices);
  index_ = static_cast<size_t>(index);
}

SequentialSampler::SequentialSampler(size_t size) : size_(size) { reset(); }

void SequentialSampler::reset(std::optional<size_t> new_size) {
  if (new_size) size_ = *new_size;
  indices_.resize(size_);
  for (size_t i = 0; i < size_; ++i) indices_[i] = i;
  index_ = 0;
}

RandomSampler::RandomSampler(size_t size, std::optional<Generator> generator, std::optional<size_t> num_samples)
    : size_(size), generator_(std::move(generator)), num_samples_(num_samples) {
  NABLA_CHECK(this->size() > 0, "num_samples should be a positive integer value, but got num_samples=", this->size());
}

void RandomSampler::reset(std::optional<size_t> new_size) {
  if (new_size) size_ = *new_size;
  const size_t total = size();
  NABLA_CHECK(total > 0, "num_samples should be a positive integer value, but got num_samples=", total);
  NABLA_CHECK(size_ > 0, "RandomSampler: cannot draw ", total, " samples from an empty dataset");
  Generator gen;
  if (generator_) {
    gen = *generator_;
  } else {
    // Python: seed = int(torch.empty((), dtype=torch.int64).random_().item()); a fresh generator.
    const int64_t seed = empty({}, kLong).random_().item<int64_t>();
    gen = make_generator<CPUGeneratorImpl>(static_cast<uint64_t>(seed));
  }
  indices_.clear();
  indices_.reserve(total);
  const int64_t n = static_cast<int64_t>(size_);
  auto append = [&](size_t count) {
    const Tensor perm = randperm(n, gen);
    const int64_t* p = perm.data_ptr<int64_t>();
    for (size_t i = 0; i < count; ++i) indices_.push_back(static_cast<size_t>(p[i]));
  };
  for (size_t k = 0; k < total / size_; ++k) append(size_);
  append(total % size_);
  index_ = 0;
}

BucketSampler::BucketSampler(std::vector<int64_t> lengths, size_t batch_size, size_t bucket_batches,
                             std::optional<Generator> generator)
    : lengths_(std::move(lengths)),
      batch_size_(batch_size),
      bucket_batches_(bucket_batches),
      generator_(std::move(generator)) {
  NABLA_CHECK(batch_size_ > 0, "batch_size should be a positive integer value, but got batch_size=", batch_size_);
  NABLA_CHECK(bucket_batches_ > 0, "BucketSampler: bucket_batches should be positive, got ", bucket_batches_);
}

void BucketSampler::reset(std::optional<size_t> new_size) {
  NABLA_CHECK(!new_size || *new_size == lengths_.size(), "BucketSampler: the dataset has ", lengths_.size(),
              " examples (their lengths were given); cannot resize it to ", new_size.value_or(0));
  auto permutation = [&](size_t n) {
    const Tensor perm = generator_ ? randperm(static_cast<int64_t>(n), *generator_) : randperm(static_cast<int64_t>(n));
    const int64_t* p = perm.data_ptr<int64_t>();
    return std::vector<size_t>(p, p + n);
  };
  const std::vector<size_t> order = lengths_.empty() ? std::vector<size_t>() : permutation(lengths_.size());
  const size_t bucket = batch_size_ * bucket_batches_;
  std::vector<std::vector<size_t>> batches;
  for (size_t start = 0; start < order.size(); start += bucket) {
    std::vector<size_t> b(order.begin() + static_cast<std::ptrdiff_t>(start),
                          order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + bucket)));
    std::stable_sort(b.begin(), b.end(), [&](size_t x, size_t y) { return lengths_[x] > lengths_[y]; });
    for (size_t i = 0; i < b.size(); i += batch_size_)
      batches.emplace_back(b.begin() + static_cast<std::ptrdiff_t>(i),
                           b.begin() + static_cast<std::ptrdiff_t>(std::min(b.size(), i + batch_size_)));
  }
  // Only full batches are shuffled, so that the DataLoader's cuts of batch_size fall between them.
  const size_t full = lengths_.size() / batch_size_;
  std::vector<size_t> batch_order = full > 0 ? permutation(full) : std::vector<size_t>();
  indices_.clear();
  indices_.reserve(lengths_.size());
  std::vector<const std::vector<size_t>*> full_batches, short_batches;
  for (const auto& b : batches) (b.size() == batch_size_ ? full_batches : short_batches).push_back(&b);
  for (size_t k : batch_order) indices_.insert(indices_.end(), full_batches[k]->begin(), full_batches[k]->end());
  for (const auto* b : short_batches) indices_.insert(indices_.end(), b->begin(), b->end());
  index_ = 0;
}

}  // namespace samplers
}  // namespace nabla::data
