#pragma once
/// torchvision.transforms on tensor images ([..., C, H, W], uint8 or floating): Resize, CenterCrop, ToTensor, ...
///   namespace T = nabla::vision::transforms;
///   T::Compose preprocess{T::Resize(256), T::CenterCrop(224), T::ConvertImageDtype(nabla::kFloat),
///                         T::Normalize({0.485, 0.456, 0.406}, {0.229, 0.224, 0.225})};
///   Tensor x = preprocess(nabla::vision::io::read_image("cat.jpg"));   // float [3, 224, 224]
///   Tensor y = T::functional::resize(img, {120, 160});                 // torchvision.transforms.functional.resize
/// Resize is bilinear; with antialias (the default here, torchvision's from 0.17) a downscale
/// averages over the footprint of each output pixel as PIL does, computed as PyTorch's
/// interpolate(mode="bilinear", antialias=True). uint8 images are resized in float32 and
/// rounded back, as torchvision does.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::vision::transforms {

namespace functional {

/// The image resized: size {h, w}, or {s} for the shorter side s (the longer one keeping the
/// aspect ratio, then capped at max_size). The same size returns img itself.
Tensor resize(const Tensor& img, const std::vector<int64_t>& size, std::optional<int64_t> max_size = std::nullopt,
              bool antialias = true);
/// The central {h, w} (or {s} for s x s) crop, zero-padded where the image is smaller.
Tensor center_crop(const Tensor& img, const std::vector<int64_t>& output_size);
/// The rows top..top+height and columns left..left+width, zero-padded outside the image.
Tensor crop(const Tensor& img, int64_t top, int64_t left, int64_t height, int64_t width);
/// (img - mean) / std per channel of a floating image [..., C, H, W].
Tensor normalize(const Tensor& img, const std::vector<double>& mean, const std::vector<double>& std,
                 bool inplace = false);
/// An HWC (or HW) array as a CHW tensor: uint8 values divided by 255 into float32, other
/// dtypes unchanged (torchvision's to_tensor of a numpy array).
Tensor to_tensor(const Tensor& pic);
/// uint8 <-> floating with the value ranges [0, 255] and [0, 1], as torchvision's
/// convert_image_dtype.
Tensor convert_image_dtype(const Tensor& img, ScalarType dtype = kFloat);

}  // namespace functional

/// A transform: a function from image to image.
using TransformFunction = std::function<Tensor(const Tensor&)>;

/// Resize(256): the shorter side to 256; Resize({224, 224}): to 224 x 224.
class Resize {
 public:
  Resize(int64_t size, std::optional<int64_t> max_size = std::nullopt, bool antialias = true)  // NOLINT
      : Resize(std::vector<int64_t>{size}, max_size, antialias) {}
  Resize(std::vector<int64_t> size, std::optional<int64_t> max_size = std::nullopt, bool antialias = true);
  Resize(std::initializer_list<int64_t> size) : Resize(std::vector<int64_t>(size)) {}
  Tensor operator()(const Tensor& img) const { return functional::resize(img, size_, max_size_, antialias_); }

 private:
  std::vector<int64_t> size_;
  std::optional<int64_t> max_size_;
  bool antialias_;
};

/// CenterCrop(224) or CenterCrop({h, w}).
class CenterCrop {
 public:
  CenterCrop(int64_t size) : CenterCrop(std::vector<int64_t>{size, size}) {}  // NOLINT
  CenterCrop(std::vector<int64_t> size);
  CenterCrop(std::initializer_list<int64_t> size) : CenterCrop(std::vector<int64_t>(size)) {}
  Tensor operator()(const Tensor& img) const { return functional::center_crop(img, size_); }

 private:
  std::vector<int64_t> size_;
};

/// HWC uint8 -> CHW float32 in [0, 1].
class ToTensor {
 public:
  Tensor operator()(const Tensor& pic) const { return functional::to_tensor(pic); }
};

/// uint8 <-> floating (values scaled between [0, 255] and [0, 1]).
class ConvertImageDtype {
 public:
  explicit ConvertImageDtype(ScalarType dtype) : dtype_(dtype) {}
  Tensor operator()(const Tensor& img) const { return functional::convert_image_dtype(img, dtype_); }

 private:
  ScalarType dtype_;
};

/// (img - mean) / std per channel.
class Normalize {
 public:
  Normalize(std::vector<double> mean, std::vector<double> std, bool inplace = false)
      : mean_(std::move(mean)), std_(std::move(std)), inplace_(inplace) {}
  Tensor operator()(const Tensor& img) const { return functional::normalize(img, mean_, std_, inplace_); }

 private:
  std::vector<double> mean_, std_;
  bool inplace_;
};

/// The transforms applied in order: Compose{Resize(256), CenterCrop(224), ...}.
class Compose {
 public:
  Compose(std::initializer_list<TransformFunction> transforms) : transforms_(transforms) {}
  explicit Compose(std::vector<TransformFunction> transforms) : transforms_(std::move(transforms)) {}
  Tensor operator()(const Tensor& img) const;
  const std::vector<TransformFunction>& transforms() const noexcept { return transforms_; }

 private:
  std::vector<TransformFunction> transforms_;
};

}  // namespace nabla::vision::transforms
