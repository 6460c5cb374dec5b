#include "nabla/data/mnist.h"

#include <sys/stat.h>

#include "nabla/data/idx.h"

namespace nabla::data::datasets {

namespace {

std::string find_file(const std::string& root, const std::string& name) {
  const std::string path = root + "/" + name;
  struct stat st{};
  if (stat(path.c_str(), &st) == 0) return path;
  if (stat((path + ".gz").c_str(), &st) == 0) return path + ".gz";
  throw Error(::nabla::detail::str("MNIST: found neither '", path, "' nor '", path, ".gz'"));
}

}  // namespace

MNIST::MNIST(const std::string& root, Mode mode) : train_(mode == Mode::kTrain) {
  const std::string prefix = train_ ? "train" : "t10k";
  const std::string images_path = find_file(root, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_file(root, prefix + "-labels-idx1-ubyte");
  const Tensor images = read_idx(images_path);
  const Tensor labels = read_idx(labels_path);
  NABLA_CHECK(images.scalar_type() == kByte && images.dim() == 3,
              "MNIST: expected '", images_path, "' to hold unsigned bytes of shape (N, rows, columns), got ",
              toString(images.scalar_type()), " of shape ", images.sizes());
  NABLA_CHECK(labels.scalar_type() == kByte && labels.dim() == 1,
              "MNIST: expected '", labels_path, "' to hold unsigned bytes of shape (N), got ",
              toString(labels.scalar_type()), " of shape ", labels.sizes());
  NABLA_CHECK(images.size(0) == labels.size(0), "MNIST: '", images_path, "' holds ", images.size(0), " images but '",
              labels_path, "' ", labels.size(0), " labels");
  images_ = images.unsqueeze(1).to(kFloat).div_(255);
  targets_ = labels.to(kLong);
}

Example<> MNIST::get(size_t index) {
  const int64_t i = static_cast<int64_t>(index);
  return {images_[i], targets_[i]};
}

std::optional<size_t> MNIST::size() const { return static_cast<size_t>(images_.size(0)); }

}  // namespace nabla::data::datasets
