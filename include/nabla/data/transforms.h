#pragma once
/// Transforms of examples and batches, with libtorch's names (torch::data::transforms) and
/// torchvision's random image augmentations.
///   auto ds = nabla::data::datasets::FashionMNIST()
///                 .map(nabla::data::transforms::Normalize<>(0.2860, 0.3530))
///                 .map(nabla::data::transforms::RandomHorizontalFlip<>(0.5));
/// Random transforms draw from data::transform_generator(): the default generator (so
/// nabla::manual_seed makes them reproducible), or inside a DataLoader a generator of the batch
/// (Note [Reproducible batches], dataloader.cpp), so that results do not depend on the number of
/// workers.
#include <array>
#include <functional>
#include <utility>
#include <vector>

#include "nabla/array_ref.h"
#include "nabla/data/example.h"
#include "nabla/functions.h"
#include "nabla/generator.h"
#include "nabla/nn/utils/rnn.h"

namespace nabla::data {

/// The generator random transforms draw from on this thread (see above).
Generator& transform_generator();

namespace transforms {

/// Maps a whole batch to another batch.
template <typename InputBatch, typename OutputBatch>
class BatchTransform {
 public:
  using InputBatchType = InputBatch;
  using OutputBatchType = OutputBatch;
  virtual ~BatchTransform() = default;
  virtual OutputBatch apply_batch(InputBatch input_batch) = 0;
};

/// Maps each example of a batch on its own.
template <typename Input, typename Output>
class Transform : public BatchTransform<std::vector<Input>, std::vector<Output>> {
 public:
  using InputType = Input;
  using OutputType = Output;
  virtual Output apply(Input input) = 0;
  std::vector<Output> apply_batch(std::vector<Input> input_batch) override {
    std::vector<Output> out;
    out.reserve(input_batch.size());
    for (auto& input : input_batch) out.push_back(apply(std::move(input)));
    return out;
  }
};

/// A Transform given by a function: Lambda<Example<>>([](Example<> e) { ...; return e; }).
template <typename Input, typename Output = Input>
class Lambda : public Transform<Input, Output> {
 public:
  using FunctionType = std::function<Output(Input)>;
  explicit Lambda(FunctionType function) : function_(std::move(function)) {}
  Output apply(Input input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

/// A BatchTransform given by a function.
template <typename Input, typename Output = Input>
class BatchLambda : public BatchTransform<Input, Output> {
 public:
  using FunctionType = std::function<Output(Input)>;
  explicit BatchLambda(FunctionType function) : function_(std::move(function)) {}
  Output apply_batch(Input input_batch) override { return function_(std::move(input_batch)); }

 private:
  FunctionType function_;
};

/// A transform collating a vector of examples into one batch.
template <typename T, typename BatchType = std::vector<T>>
using Collation = BatchTransform<BatchType, T>;
/// A collation given by a function.
template <typename T, typename BatchType = std::vector<T>>
using Collate = BatchLambda<BatchType, T>;

/// Stacks the data and the targets of the examples along a new dimension 0.
template <typename T = Example<>>
struct Stack : public Collation<T> {
  T apply_batch(std::vector<T> examples) override {
    std::vector<Tensor> data, targets;
    data.reserve(examples.size());
    targets.reserve(examples.size());
    for (auto& e : examples) {
      data.push_back(std::move(e.data));
      targets.push_back(std::move(e.target));
    }
    return {nabla::stack(data), nabla::stack(targets)};
  }
};

/// A collated batch of variable-length sequences: data padded to the longest, (B, T, *) when
/// batch_first and (T, B, *) otherwise; lengths (B, int64); the targets stacked.
struct PaddedBatch {
  Tensor data;
  Tensor lengths;
  Tensor target;
};

/// Collates examples whose data are sequences (L_i, *) of different lengths: pads them with
/// padding_value (nn::utils::rnn::pad_sequence), records their lengths and stacks the targets;
/// hand it to a DataLoader as its collate function, and the lengths to pack_padded_sequence.
///   data::DataLoader<Dataset, data::transforms::PaddedBatch> loader(dataset, 64,
///       data::transforms::PadSequences(/*padding_value=*/0, /*batch_first=*/true));
struct PadSequences : public BatchTransform<std::vector<Example<>>, PaddedBatch> {
  explicit PadSequences(double padding_value = 0, bool batch_first = true)
      : padding_value(padding_value), batch_first(batch_first) {}
  PaddedBatch apply_batch(std::vector<Example<>> examples) override {
    std::vector<Tensor> data, targets;
    std::vector<int64_t> lengths;
    for (auto& e : examples) {
      NABLA_CHECK(e.data.dim() > 0, "PadSequences: an example's data must be a sequence (at least 1-D), got 0-D");
      lengths.push_back(e.data.size(0));
      data.push_back(std::move(e.data));
      targets.push_back(std::move(e.target));
    }
    NABLA_CHECK(!data.empty(), "PadSequences: received an empty batch");
    return {nn::utils::rnn::pad_sequence(data, batch_first, padding_value), nabla::tensor(lengths).to(kLong),
            nabla::stack(targets)};
  }
  PaddedBatch operator()(std::vector<Example<>> examples) { return apply_batch(std::move(examples)); }

  double padding_value;
  bool batch_first;
};

/// Transforms the data tensor of an example, leaving its target.
template <typename Target = Tensor>
class TensorTransform : public Transform<Example<Tensor, Target>, Example<Tensor, Target>> {
 public:
  using E = Example<Tensor, Target>;
  virtual Tensor operator()(Tensor input) = 0;
  E apply(E input) override {
    input.data = (*this)(std::move(input.data));
    return input;
  }
};

/// A TensorTransform given by a function.
template <typename Target = Tensor>
class TensorLambda : public TensorTransform<Target> {
 public:
  using FunctionType = std::function<Tensor(Tensor)>;
  explicit TensorLambda(FunctionType function) : function_(std::move(function)) {}
  Tensor operator()(Tensor input) override { return function_(std::move(input)); }

 private:
  FunctionType function_;
};

/// (x - mean) / stddev per channel of a (C, H, W) image (or batch (N, C, H, W)); one value
/// each applies to all channels. Normalize<>({0.5, 0.5, 0.5}, {0.2, 0.2, 0.2}).
template <typename Target = Tensor>
struct Normalize : public TensorTransform<Target> {
  Normalize(ArrayRef<double> mean, ArrayRef<double> stddev)
      : mean(channels(mean)), stddev(channels(stddev)) {}
  Tensor operator()(Tensor input) override { return input.sub(mean).div(stddev); }
  Tensor mean, stddev;

 private:
  static Tensor channels(ArrayRef<double> v) {
    return nabla::tensor(v.vec(), kFloat).unsqueeze(1).unsqueeze(2);
  }
};

/// Flattens the data tensor (dims start_dim..end_dim), e.g. images to vectors for an MLP.
template <typename Target = Tensor>
struct Flatten : public TensorTransform<Target> {
  explicit Flatten(int64_t start_dim = 0, int64_t end_dim = -1) : start_dim(start_dim), end_dim(end_dim) {}
  Tensor operator()(Tensor input) override { return nabla::flatten(input, start_dim, end_dim); }
  int64_t start_dim, end_dim;
};
/// Flatten<>(): the whole data tensor to one dimension.
inline Flatten<> flatten() { return Flatten<>(); }

namespace detail {
/// torchvision's F.hflip when rand(1) < p (one draw from the generator).
Tensor random_horizontal_flip(const Tensor& image, double p, Generator& generator);
/// torchvision's RandomCrop: zero padding on all four sides, then a crop at offsets drawn as
/// randint(0, h - th + 1), randint(0, w - tw + 1) (no draw when the sizes already match).
Tensor random_crop(const Tensor& image, std::array<int64_t, 2> size, int64_t padding, Generator& generator);
}  // namespace detail

/// Mirrors the image (last dimension) with probability p (torchvision.transforms.RandomHorizontalFlip).
template <typename Target = Tensor>
struct RandomHorizontalFlip : public TensorTransform<Target> {
  explicit RandomHorizontalFlip(double p = 0.5) : p(p) {}
  Tensor operator()(Tensor input) override {
    return detail::random_horizontal_flip(input, p, transform_generator());
  }
  double p;
};

/// A random (h, w) window of the image (last two dimensions) after zero-padding each side by
/// `padding` (torchvision.transforms.RandomCrop(size, padding)).
template <typename Target = Tensor>
struct RandomCrop : public TensorTransform<Target> {
  explicit RandomCrop(int64_t size, int64_t padding = 0) : RandomCrop({size, size}, padding) {}
  RandomCrop(std::array<int64_t, 2> size, int64_t padding = 0) : size(size), padding(padding) {}
  Tensor operator()(Tensor input) override {
    return detail::random_crop(input, size, padding, transform_generator());
  }
  std::array<int64_t, 2> size;
  int64_t padding;
};

}  // namespace transforms
}  // namespace nabla::data
