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
  NABLA_CHECK(idx.dim() == 1 && idx.scalar_type() == kLong, "Sampler.load_state_dict: 'indices' must be a 1-D int64 tensor");
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

}  // namespace samplers
}  // namespace nabla::data
