#pragma once
// Shared pieces of the random functions: the generator to draw from, the scalar samplers in
// PyTorch's arithmetic, and the order in which a tensor's elements receive their draws
// (Note [PyTorch-compatible random streams] in random.cpp).
#include <cmath>
#include <cstdint>
#include <optional>

#include "core/internal.h"
#include "nabla/generator.h"

namespace nabla::ops::random {

/// The generator given, or the default one.
inline CPUGeneratorImpl* generator_or_default(const std::optional<Generator>& g) {
  if (g && g->defined()) return g->get();
  return default_generator().get();
}

// ---- scalar samplers (the caller holds the generator's mutex) -----------------------------
// PyTorch's kernels are compiled with floating-point contraction, so `x * a + b` there is a
// fused multiply-add; std::fma reproduces it.

/// 24 random bits scaled to [0, 1) as float.
inline float uniform01_float(CPUGeneratorImpl* g) {
  return static_cast<float>(g->random() & ((1u << 24) - 1)) * (1.0f / static_cast<float>(1u << 24));
}
/// 53 random bits scaled to [0, 1) as double.
inline double uniform01_double(CPUGeneratorImpl* g) {
  return static_cast<double>(g->random64() & ((uint64_t{1} << 53) - 1)) *
         (1.0 / static_cast<double>(uint64_t{1} << 53));
}
inline float uniform_float(CPUGeneratorImpl* g, float from, float to) {
  return std::fma(uniform01_float(g), to - from, from);
}
inline double uniform_double(CPUGeneratorImpl* g, double from, double to) {
  return std::fma(uniform01_double(g), to - from, from);
}
/// One standard normal sample by Box-Muller in double, the second sample of each pair cached
/// in the generator for the next call.
double standard_normal_double(CPUGeneratorImpl* g);
/// -1/lambda * log(1 - u), u uniform in [0, 1) (double).
inline double exponential_double(CPUGeneratorImpl* g, double lambda) {
  return -1.0 / lambda * std::log(1.0 - uniform01_double(g));
}

/// Fills n contiguous floats with normal samples the way PyTorch's vectorised CPU path does
/// (n >= 16): uniform draws for all, then Box-Muller on blocks of 16 (Note in random_normal.cpp).
void normal_fill_float(float* data, int64_t n, float mean, float std, CPUGeneratorImpl* g);
/// The same for doubles (PyTorch's scalar normal_fill, n >= 16).
void normal_fill_double(double* data, int64_t n, double mean, double std, CPUGeneratorImpl* g);

// ---- element order -------------------------------------------------------------------------

/// The order in which PyTorch's TensorIterator visits the elements of operands of shape
/// `sizes` with the given strides (the output first): dims from innermost to outermost.
DimVector iteration_order(IntArrayRef sizes, std::initializer_list<IntArrayRef> strides);

/// A new tensor of shape `sizes` whose memory runs in `order` (innermost first), so that
/// filling its data linearly visits the elements in that order.
Tensor empty_in_order(IntArrayRef sizes, IntArrayRef order, ScalarType dtype);

/// Whether t's elements occupy exactly numel() consecutive slots in some dim order.
bool is_non_overlapping_and_dense(const Tensor& t);

/// t's strides broadcast to `sizes` (0 where t repeats); PyTorch's expand error if it cannot.
DimVector broadcast_strides(const Tensor& t, IntArrayRef sizes);

/// An uninitialised tensor like t, with t's dim order when t is dense (empty_like's
/// preserve_format), else contiguous.
Tensor empty_like_preserving(const Tensor& t, ScalarType dtype);

/// A copy of t (broadcast to `sizes`, converted to dtype) whose data lists the elements in
/// `order`, so that element i of the result pairs with draw i.
Tensor values_in_order(const Tensor& t, IntArrayRef sizes, IntArrayRef order, ScalarType dtype);

}  // namespace nabla::ops::random
