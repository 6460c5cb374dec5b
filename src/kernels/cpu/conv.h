#pragma once
// Convolution kernels on contiguous 4-d tensors ([N, C, H, W]; a 1-d convolution is a 2-d one
// of height 1): im2col + the one GEMM of kernels/cpu/blas.h per sample and group, samples
// spread over the thread pool. No autograd, no argument checks (src/ops/nn_conv.cpp has
// them), float32 and float64. The three primitives of Note [Convolution roles] (nn_conv.cpp):
//   conv2d_forward(x, w) -> y,  conv2d_backward_input(gy, w) -> gx,  conv2d_backward_weight(x, gy) -> gw.
#include "kernels/cpu/im2col.h"
#include "nabla/tensor.h"

namespace nabla::kernels {

/// y = conv(x, w) with x [N, G*C, H, W], w [G*Og, C, KH, KW], y [N, G*Og, OH, OW] (written).
/// `s` is the geometry of one sample and group.
void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& y, const Conv2dShape& s, int64_t groups);
/// gx = the adjoint of conv2d_forward applied to gy (written).
void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Tensor& gx, const Conv2dShape& s,
                           int64_t groups);
/// gw = sum over samples of gy ⊗ patches(x) (written).
void conv2d_backward_weight(const Tensor& x, const Tensor& gy, const Tensor& gw, const Conv2dShape& s,
                            int64_t groups);
/// y[n, c, ...] += bias[c] for y contiguous [N, C, L].
void add_channel_bias(const Tensor& y, const Tensor& bias);
/// out[c] = sum of g[n, c, ...] over n and the trailing dims, for g contiguous [N, C, L].
void sum_channels(const Tensor& g, const Tensor& out);

}  // namespace nabla::kernels
