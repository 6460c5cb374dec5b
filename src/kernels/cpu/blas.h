#pragma once
// Matrix products on raw strided memory: GEMM and dot through OpenBLAS for float32/float64,
// plain loops for the integer dtypes (wrapping on overflow, as PyTorch). No autograd, no
// argument checks beyond what the callers (src/ops/linalg.cpp) have already done.
#include <cstdint>

#include "nabla/dtype.h"
#include "nabla/scalar.h"
#include "nabla/tensor.h"

namespace nabla::kernels {

/// A rows x cols matrix in memory: element (i, j) is at data[i * row_stride + j * col_stride]
/// (strides in elements, any non-negative values, 0 for broadcast dims).
struct MatrixRef {
  const void* data;
  int64_t rows, cols;
  int64_t row_stride, col_stride;
};

/// c = beta * c + alpha * (a @ b) with c a contiguous a.rows x b.cols matrix. When beta is 0, c
/// is not read (NaN in c does not propagate). a and b are handed to BLAS without copying when
/// their strides form a row- or column-major layout; otherwise they are packed first.
void gemm(ScalarType dtype, const MatrixRef& a, const MatrixRef& b, void* c, const Scalar& beta, const Scalar& alpha);

/// The sum of x[i * incx] * y[i * incy] for i < n, written to *out (of the given dtype).
void dot(ScalarType dtype, int64_t n, const void* x, int64_t incx, const void* y, int64_t incy, void* out);

/// out = beta * out + alpha * (a @ b) for a [m, k] and b [k, n] (or a 1-d b: a column) of any
/// strides, out contiguous [m, n] (or [m]); all of one dtype.
void mm(const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& beta = 0, const Scalar& alpha = 1);
/// out[i] = a[i] @ b[i] for 3-d a [B, m, k] and b [B, k, n] of any strides, out contiguous [B, m, n].
void bmm(const Tensor& a, const Tensor& b, const Tensor& out);
/// out (0-dim) = the sum of a[i] * b[i] for 1-d a and b of one length.
void dot(const Tensor& a, const Tensor& b, const Tensor& out);

}  // namespace nabla::kernels
