#pragma once
// The vector layer's floating functions (Note [Vector layer] in vmath.cpp): one entry point
// per array, compiled for several instruction sets and chosen at run time.
#include <cstdint>

namespace nabla {
class Tensor;
}

namespace nabla::kernels::vmath {

enum class Fn : uint8_t { Exp, Expm1, Log, Log1p, Sin, Cos, Tanh, Erf, Sigmoid, Sqrt, Rsqrt };

/// y[i] = f(x[i]) for i < n; x may equal y. Every element goes through the same vector
/// function (the tail padded), so a value's result does not depend on where it sits.
void apply(Fn f, const float* x, float* y, int64_t n);
void apply(Fn f, const double* x, double* y, int64_t n);

/// p[i] = f(p[i]) in place.
void apply(Fn f, float* p, int64_t n);
void apply(Fn f, double* p, int64_t n);

/// out = f(a) for floating tensors of out's dtype and shape, any strides (a broadcasts).
void unary(Fn f, const Tensor& out, const Tensor& a);

/// y = softmax(x) over one contiguous row of n (log_softmax when log); y may not alias x.
void softmax_row(const float* x, float* y, int64_t n, bool log);
void softmax_row(const double* x, double* y, int64_t n, bool log);

/// The instruction set the vector layer runs on in this process ("AVX2", "AVX3", ...).
const char* target_name();

}  // namespace nabla::kernels::vmath
