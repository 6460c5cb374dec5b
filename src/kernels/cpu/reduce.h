#pragma once
// Reductions over a set of dims: the input is permuted so that the reduced dims come last and
// made contiguous, giving a matrix [outer, inner]; each row is reduced by a plain loop.
#include "core/internal.h"
#include "kernels/cpu/parallel.h"

namespace nabla::kernels {

struct ReducePlan {
  Tensor mat;          // contiguous, rows of `inner` elements, `outer` rows
  int64_t outer = 1;
  int64_t inner = 1;
  DimVector out_shape;  // the result's shape (with or without the kept size-1 dims)
};

/// dims: the dims to reduce (any order, may be wrapped already); empty means all dims.
ReducePlan plan_reduce(const Tensor& t, IntArrayRef dims, bool keepdim);

/// out (contiguous, out_shape, type R) [r] = row_fn(row r of mat as const T*, inner).
template <typename R, typename T, typename F>
Tensor reduce_rows(const ReducePlan& p, ScalarType out_dtype, F row_fn) {
  Tensor out = core::empty(p.out_shape, out_dtype);
  R* o = static_cast<R*>(out.data_ptr());
  const T* m = static_cast<const T*>(p.mat.data_ptr());
  const int64_t inner = p.inner;
  parallel_for(0, p.outer, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) o[r] = row_fn(m + r * inner, inner);
  });
  return out;
}

}  // namespace nabla::kernels
