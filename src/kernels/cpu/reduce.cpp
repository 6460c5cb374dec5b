#include "kernels/cpu/reduce.h"

namespace nabla::kernels {

ReducePlan plan_reduce(const Tensor& t, IntArrayRef dims_in, bool keepdim) {
  const int64_t nd = t.dim();
  DimVector dims = dims_in.empty() ? DimVector() : core::wrap_dims(dims_in, nd);
  uint64_t mask = 0;
  if (dims_in.empty()) {
    mask = nd >= 64 ? ~0ULL : (1ULL << nd) - 1;
  } else {
    for (int64_t d : dims) mask |= 1ULL << d;
  }
  ReducePlan p;
  DimVector perm;
  for (int64_t d = 0; d < nd; ++d) {
    if (!(mask & (1ULL << d))) {
      perm.push_back(d);
      p.outer *= t.size(d);
      p.out_shape.push_back(t.size(d));
    } else if (keepdim) {
      p.out_shape.push_back(1);
    }
  }
  if (keepdim) {
    p.out_shape.clear();
    for (int64_t d = 0; d < nd; ++d) p.out_shape.push_back((mask & (1ULL << d)) ? 1 : t.size(d));
  }
  for (int64_t d = 0; d < nd; ++d)
    if (mask & (1ULL << d)) {
      perm.push_back(d);
      p.inner *= t.size(d);
    }
  // A permuted, contiguous copy only when the reduced dims are not already innermost.
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == static_cast<int64_t>(i);
  Tensor src = identity ? t : t.detach().permute(perm);
  p.mat = src.is_contiguous() ? src : src.detach().contiguous();
  return p;
}

}  // namespace nabla::kernels
