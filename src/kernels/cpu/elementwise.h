#pragma once
// Kernel entry points shared by the op families: copies with dtype conversion and broadcasting,
// fills. Kernels know nothing about autograd.
#include "nabla/tensor.h"

namespace nabla::kernels {

/// dst[...] = src[...] converted to dst's dtype; src broadcasts to dst's shape.
void copy_(const Tensor& dst, const Tensor& src);
/// Every element of dst set to v (converted to dst's dtype).
void fill_(const Tensor& dst, const Scalar& v);
/// A contiguous copy of t converted to dtype (t itself when already so).
Tensor to_dtype(const Tensor& t, ScalarType dtype);

}  // namespace nabla::kernels
