#pragma once
// Shared pieces of batch_norm, layer_norm and group_norm (nn_batchnorm.cpp, nn_norm.cpp):
// argument checks with PyTorch's wording, per-row statistics, and the differentiable
// gradient formula used when a backward is itself recorded (create_graph).
//
// Note [Normalisation gradients]
// With x̂ = (x - mean) * rstd over a set of elements of size M (the statistics dims) and
// dy' = dy * weight, the input gradient of y = x̂ * weight + bias is
//   dx = rstd * (dy' - mean(dy') - x̂ * mean(dy' * x̂)),
// the weight gradient is sum(dy * x̂) and the bias gradient sum(dy) over the elements
// sharing the parameter. The fused kernels compute this in one pass with double
// accumulators; when grad mode is on during backward (create_graph), the same formula is
// built from differentiable ops instead, with mean and rstd recomputed from x, so that
// second derivatives flow through the statistics too.
#include <cmath>
#include <vector>

#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/parallel.h"
#include "nabla/functions.h"

namespace nabla::ops::norm {

/// PyTorch's CPU check that the parameters have the input's dtype.
inline void check_param_dtype(const Tensor& input, const Tensor& p) {
  if (!p.defined() || p.scalar_type() == input.scalar_type()) return;
  NABLA_CHECK(input.scalar_type() != kFloat, "mixed dtype (CPU): expect parameter to have scalar type of Float");
  NABLA_CHECK(false, "mixed dtype (CPU): expect input to have scalar type of BFloat16");
}

/// "expected scalar type Float but found Double" (layer_norm / group_norm parameters).
inline void check_same_type(const Tensor& input, const Tensor& p) {
  if (!p.defined()) return;
  NABLA_CHECK(p.scalar_type() == input.scalar_type(), "expected scalar type ", scalarTypeName(input.scalar_type()),
              " but found ", scalarTypeName(p.scalar_type()));
}

/// Mean and 1 / sqrt(biased var + eps) of each of `rows` contiguous rows of length k
/// (two passes, double accumulators).
template <typename T>
void row_stats(const T* x, int64_t rows, int64_t k, double eps, double* mean, double* rstd) {
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(k, 1));
  kernels::parallel_for(0, rows, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* p = x + r * k;
      // Eight independent double accumulators per pass: the adds overlap (one chain would wait
      // on each add's latency) and the compiler vectorises the lanes; the order is fixed.
      constexpr int64_t L = 8;
      double acc[L] = {};
      int64_t i = 0;
      for (; i + L <= k; i += L)
        for (int64_t j = 0; j < L; ++j) acc[j] += static_cast<double>(p[i + j]);
      double s = 0;
      for (; i < k; ++i) s += static_cast<double>(p[i]);
      for (int64_t j = 0; j < L; ++j) s += acc[j];
      const double m = k > 0 ? s / static_cast<double>(k) : 0.0;
      double vacc[L] = {};
      for (i = 0; i + L <= k; i += L)
        for (int64_t j = 0; j < L; ++j) {
          const double d = static_cast<double>(p[i + j]) - m;
          vacc[j] += d * d;
        }
      double v = 0;
      for (; i < k; ++i) {
        const double d = static_cast<double>(p[i]) - m;
        v += d * d;
      }
      for (int64_t j = 0; j < L; ++j) v += vacc[j];
      mean[r] = m;
      rstd[r] = 1.0 / std::sqrt((k > 0 ? v / static_cast<double>(k) : 0.0) + eps);
    }
  });
}

/// x̂ and rstd of x normalised over `dims` (kept as size-1 dims), built from differentiable
/// ops (Note [Normalisation gradients]).
struct Normalized {
  Tensor xhat, rstd;
};
inline Normalized normalize_differentiable(const Tensor& x, IntArrayRef dims, double eps) {
  Tensor xmu = x - x.mean(dims, true);
  Tensor rstd = ((xmu * xmu).mean(dims, true) + eps).rsqrt();
  return {xmu * rstd, rstd};
}

/// dx of Note [Normalisation gradients] from differentiable ops; dyw = dy * weight.
inline Tensor normalized_input_grad(const Normalized& n, const Tensor& dyw, IntArrayRef dims) {
  return n.rstd * (dyw - dyw.mean(dims, true) - n.xhat * (dyw * n.xhat).mean(dims, true));
}

/// Dims 0 and 2.. of an (N, C, ...) tensor: the dims a per-channel parameter is summed over.
inline std::vector<int64_t> non_channel_dims(int64_t ndim) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < ndim; ++d) dims.push_back(d);
  return dims;
}

/// A per-channel parameter (C) as (1, C, 1, ...) for broadcasting against (N, C, ...).
inline Tensor as_channel_param(const Tensor& p, int64_t ndim) {
  std::vector<int64_t> shape(static_cast<size_t>(ndim), 1);
  shape[1] = p.numel();
  return p.reshape(shape);
}

}  // namespace nabla::ops::norm
