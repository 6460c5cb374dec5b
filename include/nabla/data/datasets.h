#pragma once
/// Datasets with libtorch's names (torch::data::datasets) and Python's Subset/random_split.
///   struct MyData : nabla::data::datasets::Dataset<MyData> {
///     nabla::data::Example<> get(size_t i) override { ... }
///     std::optional<size_t> size() const override { return n; }
///   };
///   auto ds = nabla::data::datasets::TensorDataset(x, y);
///   auto parts = nabla::data::random_split(ds, {800, 200}, gen);   // PyTorch's index order
/// A DataLoader with workers calls get/get_batch from several threads at once: datasets must
/// allow concurrent reads (all of nabla's do).
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "nabla/array_ref.h"
#include "nabla/data/example.h"
#include "nabla/functions.h"
#include "nabla/generator.h"

namespace nabla::data {
namespace datasets {

template <typename Source, typename AppliedTransform>
class MapDataset;

/// A dataset that produces whole batches for a list of indices.
template <typename Self, typename Batch = std::vector<Example<>>, typename BatchRequest = ArrayRef<size_t>>
class BatchDataset {
 public:
  using SelfType = Self;
  using BatchType = Batch;
  using BatchRequestType = BatchRequest;
  virtual ~BatchDataset() = default;
  virtual Batch get_batch(BatchRequest request) = 0;
  /// Number of examples.
  virtual std::optional<size_t> size() const = 0;
  /// A dataset applying `transform` to what this one returns: ds.map(transforms::Stack<>()).
  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) & {
    return MapDataset<Self, TransformType>(static_cast<Self&>(*this), std::move(transform));
  }
  template <typename TransformType>
  MapDataset<Self, TransformType> map(TransformType transform) && {
    return MapDataset<Self, TransformType>(std::move(static_cast<Self&>(*this)), std::move(transform));
  }
};

/// A dataset indexed one example at a time; get_batch gathers get(i) for each index.
template <typename Self, typename SingleExample = Example<>>
class Dataset : public BatchDataset<Self, std::vector<SingleExample>> {
 public:
  using ExampleType = SingleExample;
  /// The example at `index` (0 <= index < size()).
  virtual ExampleType get(size_t index) = 0;
  std::vector<ExampleType> get_batch(ArrayRef<size_t> indices) override {
    std::vector<ExampleType> batch;
    batch.reserve(indices.size());
    for (size_t i : indices) batch.push_back(get(i));
    return batch;
  }
};

/// The source dataset's batches passed through a transform (transforms.h).
template <typename Source, typename AppliedTransform>
class MapDataset : public BatchDataset<MapDataset<Source, AppliedTransform>,
                                       typename AppliedTransform::OutputBatchType,
                                       typename Source::BatchRequestType> {
 public:
  using DatasetType = Source;
  using TransformType = AppliedTransform;
  using BatchRequestType = typename Source::BatchRequestType;
  using OutputBatchType = typename AppliedTransform::OutputBatchType;
  MapDataset(Source dataset, AppliedTransform transform)
      : dataset_(std::move(dataset)), transform_(std::move(transform)) {}
  OutputBatchType get_batch(BatchRequestType indices) override {
    return transform_.apply_batch(dataset_.get_batch(std::move(indices)));
  }
  std::optional<size_t> size() const override { return dataset_.size(); }
  const Source& dataset() const noexcept { return dataset_; }
  const AppliedTransform& transform() const noexcept { return transform_; }

 private:
  Source dataset_;
  AppliedTransform transform_;
};

/// Python's TensorDataset for data and targets: example i is {data[i], target[i]}.
class TensorDataset : public Dataset<TensorDataset> {
 public:
  /// The two tensors must have the same size along dimension 0.
  TensorDataset(Tensor data, Tensor target);
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override { return static_cast<size_t>(data.size(0)); }
  Tensor data;
  Tensor target;
};

/// The examples of `dataset` at `indices`, in that order (Python's torch.utils.data.Subset).
/// The source dataset is shared by the subsets made from it.
template <typename Source>
class Subset : public Dataset<Subset<Source>, typename Source::ExampleType> {
 public:
  using ExampleType = typename Source::ExampleType;
  Subset(std::shared_ptr<Source> dataset, std::vector<size_t> indices)
      : dataset_(std::move(dataset)), indices_(std::move(indices)) {}
  ExampleType get(size_t index) override {
    NABLA_CHECK(index < indices_.size(), "index ", index, " is out of range for a Subset of size ", indices_.size());
    return dataset_->get(indices_[index]);
  }
  std::optional<size_t> size() const override { return indices_.size(); }
  const std::vector<size_t>& indices() const noexcept { return indices_; }
  Source& dataset() const noexcept { return *dataset_; }

 private:
  std::shared_ptr<Source> dataset_;
  std::vector<size_t> indices_;
};

}  // namespace datasets

using datasets::Dataset;
using datasets::Subset;
using datasets::TensorDataset;

namespace detail {
/// The index lists random_split hands out: randperm(sum(lengths), generator) cut into pieces.
std::vector<std::vector<size_t>> random_split_indices(size_t dataset_size, const std::vector<int64_t>& lengths,
                                                      Generator& generator);
/// Python's reading of random_split's lengths: fractions when they sum to 1 (floor(n * f) each,
/// the remainder handed out one by one from the first split on), whole lengths otherwise.
std::vector<int64_t> split_lengths(size_t dataset_size, const std::vector<double>& lengths);
}  // namespace detail

/// Splits a dataset into non-overlapping subsets of the given lengths, as
/// torch.utils.data.random_split does (the same permutation for the same generator state).
///   auto parts = random_split(ds, {50000, 10000}, gen);   // or fractions: {0.8, 0.2}
template <typename Source>
std::vector<Subset<Source>> random_split(Source dataset, const std::vector<int64_t>& lengths,
                                         Generator& generator = default_generator()) {
  const std::optional<size_t> n = dataset.size();
  NABLA_CHECK(n.has_value(), "random_split needs a dataset with a size");
  auto shared = std::make_shared<Source>(std::move(dataset));
  std::vector<Subset<Source>> out;
  for (auto& idx : detail::random_split_indices(*n, lengths, generator)) out.emplace_back(shared, std::move(idx));
  return out;
}
/// Lengths as numbers that are either whole lengths or fractions summing to 1.
template <typename Source>
std::vector<Subset<Source>> random_split(Source dataset, const std::vector<double>& lengths,
                                         Generator& generator = default_generator()) {
  const std::optional<size_t> n = dataset.size();
  NABLA_CHECK(n.has_value(), "random_split needs a dataset with a size");
  return random_split(std::move(dataset), detail::split_lengths(*n, lengths), generator);
}
template <typename Source>
std::vector<Subset<Source>> random_split(Source dataset, std::initializer_list<double> lengths,
                                         Generator& generator = default_generator()) {
  return random_split(std::move(dataset), std::vector<double>(lengths), generator);
}

}  // namespace nabla::data
