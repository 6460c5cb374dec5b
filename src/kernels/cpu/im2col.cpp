#include "kernels/cpu/im2col.h"

#include <algorithm>
#include <cstring>

namespace nabla::kernels {

namespace {

// floor(a / b) for b > 0.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// The output positions [lo, hi) whose input coordinate o * stride + offset lies in [0, size).
void valid_range(int64_t offset, int64_t stride, int64_t size, int64_t out, int64_t& lo, int64_t& hi) {
  lo = std::clamp<int64_t>(floor_div(-offset + stride - 1, stride), 0, out);
  hi = std::clamp<int64_t>(floor_div(size - 1 - offset, stride) + 1, lo, out);
}

}  // namespace

template <typename T>
void im2col(const T* im, const Conv2dShape& s, T* col) {
  const int64_t OH = s.out_h, OW = s.out_w, H = s.height, W = s.width;
  for (int64_t c = 0; c < s.channels; ++c) {
    const T* plane = im + c * H * W;
    for (int64_t kh = 0; kh < s.kernel_h; ++kh) {
      const int64_t off_h = kh * s.dilation_h - s.pad_h;
      int64_t oh_lo, oh_hi;
      valid_range(off_h, s.stride_h, H, OH, oh_lo, oh_hi);
      for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
        const int64_t off_w = kw * s.dilation_w - s.pad_w;
        int64_t ow_lo, ow_hi;
        valid_range(off_w, s.stride_w, W, OW, ow_lo, ow_hi);
        T* row = col + ((c * s.kernel_h + kh) * s.kernel_w + kw) * OH * OW;
        std::fill(row, row + oh_lo * OW, T(0));
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          T* dst = row + oh * OW;
          const T* src = plane + (oh * s.stride_h + off_h) * W;
          std::fill(dst, dst + ow_lo, T(0));
          if (s.stride_w == 1) {
            std::memcpy(dst + ow_lo, src + ow_lo + off_w, static_cast<size_t>(ow_hi - ow_lo) * sizeof(T));
          } else {
            for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow] = src[ow * s.stride_w + off_w];
          }
          std::fill(dst + ow_hi, dst + OW, T(0));
        }
        std::fill(row + oh_hi * OW, row + OH * OW, T(0));
      }
    }
  }
}

template <typename T>
void col2im_add(const T* col, const Conv2dShape& s, T* im) {
  const int64_t OH = s.out_h, OW = s.out_w, H = s.height, W = s.width;
  for (int64_t c = 0; c < s.channels; ++c) {
    T* plane = im + c * H * W;
    for (int64_t kh = 0; kh < s.kernel_h; ++kh) {
      const int64_t off_h = kh * s.dilation_h - s.pad_h;
      int64_t oh_lo, oh_hi;
      valid_range(off_h, s.stride_h, H, OH, oh_lo, oh_hi);
      for (int64_t kw = 0; kw < s.kernel_w; ++kw) {
        const int64_t off_w = kw * s.dilation_w - s.pad_w;
        int64_t ow_lo, ow_hi;
        valid_range(off_w, s.stride_w, W, OW, ow_lo, ow_hi);
        const T* row = col + ((c * s.kernel_h + kh) * s.kernel_w + kw) * OH * OW;
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          const T* src = row + oh * OW;
          T* dst = plane + (oh * s.stride_h + off_h) * W;
          for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow * s.stride_w + off_w] += src[ow];
        }
      }
    }
  }
}

template void im2col<float>(const float*, const Conv2dShape&, float*);
template void im2col<double>(const double*, const Conv2dShape&, double*);
template void col2im_add<float>(const float*, const Conv2dShape&, float*);
template void col2im_add<double>(const double*, const Conv2dShape&, double*);

}  // namespace nabla::kernels
