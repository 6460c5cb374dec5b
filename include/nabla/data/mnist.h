#pragma once
/// MNIST and Fashion-MNIST (IDX files, raw or gzip'd) as libtorch's datasets::MNIST: images as
/// float32 (1, 28, 28) scaled to [0, 1], labels as int64.
///   nabla::data::datasets::FashionMNIST train;                       // Debian's copy, train split
///   nabla::data::datasets::FashionMNIST test(nabla::data::datasets::FashionMNIST::kDefaultRoot, false);
///   nabla::data::datasets::MNIST mnist("data/mnist", nabla::data::datasets::MNIST::Mode::kTest);
#include <string>

#include "nabla/data/datasets.h"

namespace nabla::data::datasets {

class MNIST : public Dataset<MNIST> {
 public:
  enum class Mode { kTrain, kTest };
  /// Reads train-images-idx3-ubyte / train-labels-idx1-ubyte (kTrain) or t10k-... (kTest) from
  /// `root`, each raw or with a .gz suffix.
  explicit MNIST(const std::string& root, Mode mode = Mode::kTrain);
  /// {image (1, 28, 28) float32, label (0-dim int64)}.
  Example<> get(size_t index) override;
  std::optional<size_t> size() const override;
  bool is_train() const noexcept { return train_; }
  /// All images, (N, 1, 28, 28) float32 in [0, 1].
  const Tensor& images() const { return images_; }
  /// All labels, (N) int64.
  const Tensor& targets() const { return targets_; }

 private:
  Tensor images_, targets_;
  bool train_;
};

/// Fashion-MNIST (same format as MNIST; torchvision's FashionMNIST(root, train)).
class FashionMNIST : public MNIST {
 public:
  /// Where Debian's dataset-fashion-mnist package installs it.
  static constexpr const char* kDefaultRoot = "/usr/share/datasets/fashion-mnist";
  explicit FashionMNIST(const std::string& root = kDefaultRoot, bool train = true)
      : MNIST(root, train ? Mode::kTrain : Mode::kTest) {}
  FashionMNIST(const std::string& root, Mode mode) : MNIST(root, mode) {}
};

}  // namespace nabla::data::datasets
