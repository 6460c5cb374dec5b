#pragma once
/// DataLoader: batches of a dataset in sequential or shuffled order, collated (stacked by
/// default), optionally fetched ahead by background worker threads. Python's DataLoader
/// options with libtorch's spelling:
///   nabla::data::DataLoader loader(dataset, nabla::data::DataLoaderOptions(64).shuffle(true).seed(0).workers(2));
///   for (auto& batch : loader) { batch.data; batch.target; }          // one epoch per loop
///   auto loader2 = nabla::data::make_data_loader(dataset, 64);          // libtorch: shuffled
/// Order: with shuffle and a generator seeded s (or .seed(s)) the batches are those of Python's
/// DataLoader(dataset, batch_size, shuffle=True, generator=torch.Generator().manual_seed(s)),
/// epoch after epoch; without a generator, those after torch.manual_seed(s) when
/// nabla::manual_seed(s) was called. The order never depends on the number of workers.
/// Resuming: state_dict() (nabla::save it with the model) holds the epoch, the batches already
/// delivered, the epoch's sampler order and the generator; load_state_dict() makes the next loop
/// continue the saved epoch with exactly the batches that were still to come.
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nabla/data/datasets.h"
#include "nabla/data/samplers.h"
#include "nabla/data/transforms.h"
#include "nabla/generator.h"
#include "nabla/nn/options.h"

namespace nabla::data {

struct DataLoaderOptions {
  DataLoaderOptions() = default;
  DataLoaderOptions(size_t batch_size) : batch_size_(batch_size) {}  // NOLINT: implicit as libtorch's
  NABLA_ARG(size_t, batch_size) = 1;
  /// A new random order each epoch (RandomSampler); sequential otherwise.
  NABLA_ARG(bool, shuffle) = false;
  /// Seeds a generator of the loader's own (torch.Generator().manual_seed(seed)).
  NABLA_ARG(std::optional<uint64_t>, seed);
  /// The generator for the order and the per-batch seeds (shared, not copied).
  NABLA_ARG(std::optional<Generator>, generator);
  /// Drops the last batch of an epoch if it is smaller than batch_size.
  NABLA_ARG(bool, drop_last) = false;
  /// Background threads fetching batches (0: fetch in the iterating thread).
  NABLA_ARG(size_t, workers) = 0;
  /// Batches each worker may fetch ahead of the consumer.
  NABLA_ARG(size_t, prefetch_factor) = 2;
};

/// A loader's position, as named tensors (nabla::save / nabla::load them with a checkpoint).
using DataLoaderState = std::vector<std::pair<std::string, Tensor>>;

namespace detail {

class FetchEngine;

/// Everything of a DataLoader that does not depend on the dataset's types: the sampler, the
/// generator, the position in the epoch and the worker threads.
class DataLoaderBase {
 public:
  DataLoaderBase(const DataLoaderBase&) = delete;
  DataLoaderBase& operator=(const DataLoaderBase&) = delete;
  virtual ~DataLoaderBase();

  /// Batches per epoch (len(loader) in Python).
  size_t size() const;
  /// The current (or last) epoch, counting from 0; -1 before the first.
  int64_t epoch() const noexcept { return epoch_; }
  /// Batches of the current epoch already delivered.
  size_t batch_index() const noexcept { return batch_; }
  const DataLoaderOptions& options() const noexcept { return options_; }
  samplers::Sampler& sampler() noexcept { return *sampler_; }
  /// "epoch", "batch", "base_seed", "generator" (when the loader has one), and the sampler's
  /// order for the epoch as "sampler.indices" / "sampler.index".
  DataLoaderState state_dict() const;
  /// Restores a state_dict; the next loop resumes the saved epoch at the saved batch (or starts
  /// the following epoch if the saved one was complete).
  void load_state_dict(const DataLoaderState& state);

 protected:
  DataLoaderBase(size_t dataset_size, DataLoaderOptions options, std::unique_ptr<samplers::Sampler> sampler);
  /// Begins an epoch (a new one, or the one a load_state_dict resumes) and starts fetching.
  void begin_epoch(std::function<void(size_t)> fetch);
  /// The indices of batch j of the epoch.
  ArrayRef<size_t> batch_indices(size_t j) const;
  /// Waits for the next batch, which `fetch` has stored; false when the epoch is over.
  bool next_batch(size_t& j);
  /// Stops and joins the workers (they may be fetching into the derived class's members).
  void stop();

 private:
  DataLoaderOptions options_;
  size_t dataset_size_;
  std::optional<Generator> generator_;
  std::unique_ptr<samplers::Sampler> sampler_;
  samplers::SamplerState sampler_start_;
  int64_t epoch_ = -1;
  size_t batch_ = 0;
  int64_t base_seed_ = 0;
  bool resume_ = false;
  bool running_ = false;
  std::unique_ptr<FetchEngine> engine_;
};

template <typename Raw, typename Batch>
std::function<Batch(Raw)> default_collate() {
  if constexpr (std::is_same_v<Raw, Batch>) {
    return [](Raw raw) { return raw; };
  } else {
    static_assert(std::is_same_v<Raw, std::vector<Batch>>,
                  "DataLoader: give a collate function for this dataset's batch type");
    return [](Raw raw) { return transforms::Stack<Batch>().apply_batch(std::move(raw)); };
  }
}

template <typename Raw>
struct DefaultBatch {
  using type = Raw;
};
template <typename E>
struct DefaultBatch<std::vector<E>> {
  using type = E;
};

}  // namespace detail

template <typename Dataset, typename Batch = typename detail::DefaultBatch<typename Dataset::BatchType>::type>
class DataLoader : public detail::DataLoaderBase {
 public:
  using RawBatch = typename Dataset::BatchType;
  using BatchType = Batch;
  using Collate = std::function<Batch(RawBatch)>;

  /// Order from options.shuffle; collate stacks vectors of examples by default.
  DataLoader(Dataset dataset, DataLoaderOptions options, Collate collate = detail::default_collate<RawBatch, Batch>())
      : DataLoader(std::move(dataset), std::move(options), nullptr, std::move(collate)) {}
  /// Order from the given sampler (options.shuffle must be false).
  DataLoader(Dataset dataset, DataLoaderOptions options, std::unique_ptr<samplers::Sampler> sampler,
             Collate collate = detail::default_collate<RawBatch, Batch>())
      : DataLoaderBase(dataset_size(dataset), std::move(options), std::move(sampler)),
        dataset_(std::move(dataset)),
        collate_(std::move(collate)) {}
  ~DataLoader() override { stop(); }

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = Batch*;
    using reference = Batch&;
    explicit Iterator(DataLoader* loader) : loader_(loader) {}
    Batch& operator*() const { return *loader_->current_; }
    Batch* operator->() const { return &*loader_->current_; }
    Iterator& operator++() {
      loader_->advance();
      return *this;
    }
    bool operator==(const Iterator& other) const { return at_end() == other.at_end(); }
    bool operator!=(const Iterator& other) const { return !(*this == other); }

   private:
    bool at_end() const { return loader_ == nullptr || !loader_->current_.has_value(); }
    DataLoader* loader_;
  };

  /// Starts an epoch (or resumes a loaded one) and returns its first batch.
  Iterator begin() {
    stop();
    current_.reset();
    slots_.clear();
    slots_.resize(size());
    begin_epoch([this](size_t j) { slots_[j].emplace(collate_(dataset_.get_batch(batch_indices(j)))); });
    advance();
    return Iterator(this);
  }
  Iterator end() { return Iterator(nullptr); }
  const Dataset& dataset() const noexcept { return dataset_; }

 private:
  static size_t dataset_size(const Dataset& d) {
    const std::optional<size_t> n = d.size();
    NABLA_CHECK(n.has_value(), "Expected the dataset to be sized in order to construct the Sampler");
    return *n;
  }
  void advance() {
    size_t j = 0;
    if (!next_batch(j)) {
      current_.reset();
      return;
    }
    current_ = std::move(slots_[j]);
    slots_[j].reset();
  }

  Dataset dataset_;
  Collate collate_;
  std::vector<std::optional<Batch>> slots_;
  std::optional<Batch> current_;
};

template <typename Dataset, typename F>
DataLoader(Dataset, DataLoaderOptions, F)
    -> DataLoader<Dataset, std::invoke_result_t<F&, typename Dataset::BatchType>>;

/// libtorch's factory: the Sampler type decides the order (RandomSampler, libtorch's default,
/// or SequentialSampler), whatever options.shuffle says.
template <typename Sampler = samplers::RandomSampler, typename Dataset>
std::unique_ptr<DataLoader<Dataset>> make_data_loader(Dataset dataset, DataLoaderOptions options = {}) {
  static_assert(std::is_same_v<Sampler, samplers::RandomSampler> || std::is_same_v<Sampler, samplers::SequentialSampler>,
                "make_data_loader<Sampler>: RandomSampler or SequentialSampler; pass other samplers as objects");
  options.shuffle(std::is_same_v<Sampler, samplers::RandomSampler>);
  return std::make_unique<DataLoader<Dataset>>(std::move(dataset), std::move(options));
}
/// The order of the given sampler.
template <typename Dataset, typename Sampler,
          typename = std::enable_if_t<std::is_base_of_v<samplers::Sampler, Sampler>>>
std::unique_ptr<DataLoader<Dataset>> make_data_loader(Dataset dataset, Sampler sampler, DataLoaderOptions options) {
  return std::make_unique<DataLoader<Dataset>>(std::move(dataset), std::move(options),
                                               std::make_unique<Sampler>(std::move(sampler)));
}

}  // namespace nabla::data
