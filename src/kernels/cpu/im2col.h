#pragma once
// im2col / col2im for 2-D convolutions on one contiguous [C, H, W] image (llm.c-style loops;
// no autograd). The column matrix is [C * KH * KW, OH * OW], row (c, kh, kw) holding the input
// value each output position (oh, ow) multiplies by kernel tap (kh, kw) of channel c: the input
// at (oh * sH - pH + kh * dH, ow * sW - pW + kw * dW), or 0 outside the image.
#include <cstdint>

namespace nabla::kernels {

/// The geometry of one image's convolution.
struct Conv2dShape {
  int64_t channels, height, width;  // input image
  int64_t kernel_h, kernel_w;
  int64_t out_h, out_w;  // output image
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
};

/// col[C*KH*KW, OH*OW] = the patches of im[C, H, W].
template <typename T>
void im2col(const T* im, const Conv2dShape& s, T* col);

/// im[C, H, W] += the patches in col scattered back (the adjoint of im2col).
template <typename T>
void col2im_add(const T* col, const Conv2dShape& s, T* im);

}  // namespace nabla::kernels
