#include "nabla/data/transforms.h"

namespace nabla::data::transforms::detail {

Tensor random_horizontal_flip(const Tensor& image, double p, Generator& generator) {
  // torchvision: if torch.rand(1) < self.p: return F.hflip(img)  (float32 comparison)
  const float u = rand({1}, generator).item<float>();
  if (u < static_cast<float>(p)) return image.flip({-1});
  return image;
}

Tensor random_crop(const Tensor& image, std::array<int64_t, 2> size, int64_t padding, Generator& generator) {
  NABLA_CHECK(image.dim() >= 2, "RandomCrop: expected an image with at least 2 dimensions (..., H, W), got ",
              image.dim());
  NABLA_CHECK(padding >= 0, "RandomCrop: padding must be non-negative, got ", padding);
  Tensor img = image;
  if (padding > 0) {
    std::vector<int64_t> shape(image.sizes().begin(), image.sizes().end());
    shape[shape.size() - 2] += 2 * padding;
    shape[shape.size() - 1] += 2 * padding;
    img = zeros(shape, image.scalar_type());
    img.narrow(-2, padding, image.size(-2)).narrow(-1, padding, image.size(-1)).copy_(image);
  }
  const int64_t h = img.size(-2), w = img.size(-1);
  const auto [th, tw] = size;
  NABLA_CHECK(h >= th && w >= tw, "Required crop size (", th, ", ", tw, ") is larger than input image size (", h,
              ", ", w, ")");
  if (h == th && w == tw) return img;
  const int64_t i = randint(0, h - th + 1, {1}, generator).item<int64_t>();
  const int64_t j = randint(0, w - tw + 1, {1}, generator).item<int64_t>();
  return img.narrow(-2, i, th).narrow(-1, j, tw).contiguous();
}

}  // namespace nabla::data::transforms::detail
