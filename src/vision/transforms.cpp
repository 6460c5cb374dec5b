// torchvision.transforms on tensors (include/nabla/vision/transforms.h), written with tensor ops.
#include "nabla/vision/transforms.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "nabla/functions.h"

namespace nabla::vision::transforms {

namespace {

std::string python_list(const std::vector<int64_t>& v) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}

void check_image(const Tensor& img) { NABLA_CHECK(img.dim() >= 2, "Tensor is not a torch image."); }

// Note [Resize weights]: a resize along one dimension is a matrix W [out, in] applied to that
// dimension; row i holds the weights of the input pixels that output pixel i mixes. The weights
// are computed as PyTorch's CPU kernels compute them, in the image's dtype:
// - antialias (_upsample_bilinear2d_aa, UpSampleKernel.cpp): the triangle filter stretched over
//   the footprint of the output pixel when downscaling (support = scale), so that every input
//   pixel under it contributes; the weights of a row are normalised to sum to 1;
// - otherwise (upsample_bilinear2d, align_corners=False): the two nearest input pixels, the
//   source coordinate scale * (i + 0.5) - 0.5 clamped at 0.
// scale = in / out, as area_pixel_compute_scale gives it when a size (not a factor) is asked.
template <typename T>
std::vector<T> resize_weights(int64_t in, int64_t out, bool antialias) {
  std::vector<T> w(static_cast<size_t>(in * out), T(0));
  const T scale = static_cast<T>(in) / static_cast<T>(out);
  for (int64_t i = 0; i < out; ++i) {
    T* row = w.data() + i * in;
    if (antialias) {
      const T support = scale >= T(1) ? scale : T(1);
      const T invscale = scale >= T(1) ? T(1) / scale : T(1);
      const T center = scale * (static_cast<T>(i) + T(0.5));
      const int64_t xmin = std::max(static_cast<int64_t>(center - support + T(0.5)), int64_t{0});
      const int64_t xsize = std::min(static_cast<int64_t>(center + support + T(0.5)), in) - xmin;
      T total = 0;
      for (int64_t j = 0; j < xsize; ++j) {
        const T x = std::abs((static_cast<T>(j + xmin) - center + T(0.5)) * invscale);
        const T v = x < T(1) ? T(1) - x : T(0);
        row[xmin + j] = v;
        total += v;
      }
      if (total != T(0))
        for (int64_t j = 0; j < xsize; ++j) row[xmin + j] /= total;
    } else {
      T real = scale * (static_cast<T>(i) + T(0.5)) - T(0.5);
      if (real < T(0)) real = T(0);
      const auto i0 = static_cast<int64_t>(real);
      const int64_t i1 = i0 + (i0 < in - 1 ? 1 : 0);
      const T l1 = real - static_cast<T>(i0);
      row[i0] += T(1) - l1;
      row[i1] += l1;
    }
  }
  return w;
}

Tensor weight_matrix(int64_t in, int64_t out, bool antialias, ScalarType dtype) {
  Tensor w = dtype == kDouble ? tensor(resize_weights<double>(in, out, antialias), kDouble)
                              : tensor(resize_weights<float>(in, out, antialias), kFloat);
  return w.view({out, in});
}

// torchvision's _compute_resized_output_size: [h, w].
std::vector<int64_t> resized_output_size(int64_t h, int64_t w, const std::vector<int64_t>& size,
                                         std::optional<int64_t> max_size) {
  if (size.size() == 2) return {size[0], size[1]};
  const int64_t shorter = std::min(h, w), longer = std::max(h, w);
  const int64_t requested = size[0];
  int64_t new_short = requested;
  auto new_long =
      static_cast<int64_t>(static_cast<double>(requested) * static_cast<double>(longer) / static_cast<double>(shorter));
  if (max_size) {
    NABLA_CHECK(*max_size > requested, "max_size = ", *max_size,
                " must be strictly greater than the requested size for the smaller edge size = ", python_list(size));
    if (new_long > *max_size) {
      new_short = static_cast<int64_t>(static_cast<double>(*max_size) * static_cast<double>(new_short) /
                                       static_cast<double>(new_long));
      new_long = *max_size;
    }
  }
  return w <= h ? std::vector<int64_t>{new_long, new_short} : std::vector<int64_t>{new_short, new_long};
}

void check_resize_size(const std::vector<int64_t>& size, std::optional<int64_t> max_size) {
  NABLA_CHECK(size.size() == 1 || size.size() == 2, "Size must be an int or a 1 or 2 element tuple/list, not a ",
              size.size(), " element tuple/list");
  NABLA_CHECK(!max_size || size.size() == 1,
              "max_size should only be passed if size specifies the length of the smaller edge, i.e. size should be "
              "an int or a sequence of length 1 in torchscript mode.");
  for (int64_t s : size) NABLA_CHECK(s > 0, "Input and output sizes should be greater than 0, but got output size ", s);
}

}  // namespace

namespace functional {

Tensor resize(const Tensor& img, const std::vector<int64_t>& size, std::optional<int64_t> max_size, bool antialias) {
  check_resize_size(size, max_size);
  check_image(img);
  const int64_t h = img.size(-2), w = img.size(-1);
  const std::vector<int64_t> out = resized_output_size(h, w, size, max_size);
  if (out[0] == h && out[1] == w) return img;
  NABLA_CHECK(h > 0 && w > 0, "Input and output sizes should be greater than 0, but got input (H: ", h, ", W: ", w,
              ") output (H: ", out[0], ", W: ", out[1], ")");
  NABLA_CHECK(out[0] > 0 && out[1] > 0, "Input and output sizes should be greater than 0, but got input (H: ", h,
              ", W: ", w, ") output (H: ", out[0], ", W: ", out[1], ")");
  const bool floating = img.scalar_type() == kFloat || img.scalar_type() == kDouble;
  const ScalarType compute = floating ? img.scalar_type() : kFloat;
  Tensor x = img.to(compute);
  // The last dimension (horizontal) first, then the rows, as PyTorch's separable kernel.
  if (out[1] != w) x = x.matmul(weight_matrix(w, out[1], antialias, compute).t());
  if (out[0] != h) x = weight_matrix(h, out[0], antialias, compute).matmul(x);
  if (!floating) x = x.round().to(img.scalar_type());
  return x.contiguous();
}

Tensor crop(const Tensor& img, int64_t top, int64_t left, int64_t height, int64_t width) {
  check_image(img);
  const int64_t h = img.size(-2), w = img.size(-1);
  const int64_t right = left + width, bottom = top + height;
  if (left >= 0 && top >= 0 && right <= w && bottom <= h) return img.slice(-2, top, bottom).slice(-1, left, right);
  // Outside the image: zeros, as torchvision pads with fill=0.
  std::vector<int64_t> shape = img.sizes().vec();
  shape[shape.size() - 2] = height;
  shape[shape.size() - 1] = width;
  Tensor out = zeros(shape, img.scalar_type());
  const int64_t y0 = std::max<int64_t>(top, 0), y1 = std::min(bottom, h);
  const int64_t x0 = std::max<int64_t>(left, 0), x1 = std::min(right, w);
  if (y1 > y0 && x1 > x0)
    out.slice(-2, y0 - top, y1 - top).slice(-1, x0 - left, x1 - left).copy_(img.slice(-2, y0, y1).slice(-1, x0, x1));
  return out;
}

Tensor center_crop(const Tensor& img, const std::vector<int64_t>& output_size) {
  NABLA_CHECK(output_size.size() == 1 || output_size.size() == 2,
              "Please provide only two dimensions (h, w) for size.");
  check_image(img);
  const int64_t crop_h = output_size[0], crop_w = output_size.size() == 2 ? output_size[1] : output_size[0];
  const int64_t h = img.size(-2), w = img.size(-1);
  // torchvision pads (left/top half rounded down) and then crops at int(round((h - crop_h) / 2.0)).
  const int64_t pad_left = crop_w > w ? (crop_w - w) / 2 : 0, pad_top = crop_h > h ? (crop_h - h) / 2 : 0;
  const int64_t padded_h = std::max(h, crop_h), padded_w = std::max(w, crop_w);
  const auto top = static_cast<int64_t>(std::nearbyint(static_cast<double>(padded_h - crop_h) / 2.0)) - pad_top;
  const auto left = static_cast<int64_t>(std::nearbyint(static_cast<double>(padded_w - crop_w) / 2.0)) - pad_left;
  return crop(img, top, left, crop_h, crop_w);
}

Tensor normalize(const Tensor& img, const std::vector<double>& mean, const std::vector<double>& std, bool inplace) {
  check_image(img);
  NABLA_CHECK(isFloatingType(img.scalar_type()), "Input tensor should be a float tensor. Got torch.",
              toString(img.scalar_type()), ".");
  NABLA_CHECK(img.dim() >= 3,
              "Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = ", "torch.Size(",
              python_list(img.sizes().vec()), ")");
  Tensor m = tensor(mean, kDouble).to(img.scalar_type());
  Tensor s = tensor(std, kDouble).to(img.scalar_type());
  NABLA_CHECK(!s.eq(0).any().item<bool>(), "std evaluated to zero after conversion to torch.",
              toString(img.scalar_type()), ", leading to division by zero.");
  m = m.view({-1, 1, 1});
  s = s.view({-1, 1, 1});
  Tensor out = inplace ? img : img.clone();
  return out.sub_(m).div_(s);
}

Tensor to_tensor(const Tensor& pic) {
  NABLA_CHECK(pic.dim() == 2 || pic.dim() == 3, "pic should be 2/3 dimensional. Got ", pic.dim(), " dimensions.");
  Tensor hwc = pic.dim() == 2 ? pic.unsqueeze(2) : pic;
  Tensor chw = hwc.permute({2, 0, 1}).contiguous();
  if (chw.scalar_type() == kByte) return chw.to(kFloat).div(255);
  return chw;
}

Tensor convert_image_dtype(const Tensor& img, ScalarType dtype) {
  if (img.scalar_type() == dtype) return img;
  const bool from_float = isFloatingType(img.scalar_type()), to_float = isFloatingType(dtype);
  NABLA_CHECK((from_float || img.scalar_type() == kByte) && (to_float || dtype == kByte),
              "convert_image_dtype: only uint8 and floating images are supported, got torch.",
              toString(img.scalar_type()), " to torch.", toString(dtype));
  if (from_float && to_float) return img.to(dtype);
  // torchvision: float -> uint8 multiplies by 255 + 1 - 1e-3 and truncates; uint8 -> float divides by 255.
  if (from_float) return img.mul(255.0 + 1.0 - 1e-3).to(dtype);
  return img.to(dtype).div(255.0);
}

}  // namespace functional

Resize::Resize(std::vector<int64_t> size, std::optional<int64_t> max_size, bool antialias)
    : size_(std::move(size)), max_size_(max_size), antialias_(antialias) {
  check_resize_size(size_, max_size_);
}

CenterCrop::CenterCrop(std::vector<int64_t> size) : size_(std::move(size)) {
  NABLA_CHECK(size_.size() == 1 || size_.size() == 2, "Please provide only two dimensions (h, w) for size.");
}

Tensor Compose::operator()(const Tensor& img) const {
  Tensor x = img;
  for (const auto& t : transforms_) x = t(x);
  return x;
}

}  // namespace nabla::vision::transforms
