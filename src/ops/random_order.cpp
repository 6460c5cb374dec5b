// The order in which random draws reach a tensor's elements (Note [PyTorch-compatible random
// streams], random.cpp).
#include <algorithm>

#include "kernels/cpu/elementwise.h"
#include "ops/random_common.h"

namespace nabla::ops::random {

// ---- element order -------------------------------------------------------------------------

DimVector iteration_order(IntArrayRef sizes, std::initializer_list<IntArrayRef> strides) {
  const int64_t nd = static_cast<int64_t>(sizes.size());
  DimVector perm(static_cast<size_t>(nd));
  for (int64_t i = 0; i < nd; ++i) perm[static_cast<size_t>(i)] = nd - 1 - i;
  if (nd <= 1) return perm;
  // 1: dim0 goes outside dim1, -1: inside, 0: no operand decides (TensorIterator's rule).
  auto compare = [&](int64_t d0, int64_t d1) {
    for (IntArrayRef st : strides) {
      const int64_t s0 = st[static_cast<size_t>(d0)], s1 = st[static_cast<size_t>(d1)];
      if (s0 == 0 || s1 == 0) continue;
      if (s0 < s1) return -1;
      if (s0 > s1) return 1;
      if (sizes[static_cast<size_t>(d0)] > sizes[static_cast<size_t>(d1)]) return 1;
    }
    return 0;
  };
  for (int64_t i = 1; i < nd; ++i) {
    int64_t d1 = i;
    for (int64_t d0 = i - 1; d0 >= 0; --d0) {
      const int cmp = compare(perm[static_cast<size_t>(d0)], perm[static_cast<size_t>(d1)]);
      if (cmp > 0) {
        std::swap(perm[static_cast<size_t>(d0)], perm[static_cast<size_t>(d1)]);
        d1 = d0;
      } else if (cmp < 0) {
        break;
      }
    }
  }
  return perm;
}

namespace {
// Sizes and strides listed outermost first in `order`'s reverse, for a row-major walk.
void permuted(IntArrayRef sizes, IntArrayRef strides, IntArrayRef order, DimVector& psizes, DimVector& pstrides) {
  for (size_t k = order.size(); k-- > 0;) {
    psizes.push_back(sizes[static_cast<size_t>(order[k])]);
    pstrides.push_back(strides[static_cast<size_t>(order[k])]);
  }
}
}  // namespace

Tensor empty_in_order(IntArrayRef sizes, IntArrayRef order, ScalarType dtype) {
  Tensor buf = core::empty({prod_sizes(sizes)}, dtype);
  DimVector strides(sizes.size(), 0);
  int64_t s = 1;
  for (int64_t d : order) {
    strides[static_cast<size_t>(d)] = s;
    s *= std::max<int64_t>(sizes[static_cast<size_t>(d)], 1);
  }
  return core::alias_with(buf, sizes, strides, 0);
}

bool is_non_overlapping_and_dense(const Tensor& t) {
  if (t.numel() <= 1) return true;
  DimVector order = iteration_order(t.sizes(), {t.strides()});
  int64_t expected = 1;
  for (int64_t d : order) {
    const int64_t size = t.size(d);
    if (size == 1) continue;
    if (t.stride(d) != expected) return false;
    expected *= size;
  }
  return true;
}

DimVector broadcast_strides(const Tensor& t, IntArrayRef sizes) {
  const size_t nd = sizes.size(), td = static_cast<size_t>(t.dim());
  NABLA_CHECK(td <= nd, "expand(", legacyTypeName(t.scalar_type()), "{", core::shape_str(t.sizes()),
              "}, size=", core::shape_str(sizes), "): the number of sizes provided (", nd,
              ") must be greater or equal to the number of dimensions in the tensor (", td, ")");
  DimVector st(nd, 0);
  for (size_t i = 0; i < td; ++i) {
    const size_t d = nd - td + i;
    const int64_t have = t.size(static_cast<int64_t>(i));
    NABLA_CHECK(have == 1 || have == sizes[d], "The expanded size of the tensor (", sizes[d],
                ") must match the existing size (", have, ") at non-singleton dimension ", d,
                ".  Target sizes: ", core::shape_str(sizes), ".  Tensor sizes: ", core::shape_str(t.sizes()));
    if (have != 1) st[d] = t.stride(static_cast<int64_t>(i));
  }
  return st;
}

Tensor empty_like_preserving(const Tensor& t, ScalarType dtype) {
  if (!is_non_overlapping_and_dense(t)) return core::empty(t.sizes(), dtype);
  return empty_in_order(t.sizes(), iteration_order(t.sizes(), {t.strides()}), dtype);
}

Tensor values_in_order(const Tensor& t, IntArrayRef sizes, IntArrayRef order, ScalarType dtype) {
  // t broadcast to sizes (stride 0 where it repeats), then its dims permuted outermost first.
  DimVector bstrides = broadcast_strides(t, sizes);
  DimVector psizes, pstrides;
  permuted(sizes, bstrides, order, psizes, pstrides);
  Tensor view = core::alias_with(t, psizes, pstrides, t.storage_offset());
  Tensor out = core::empty(psizes, dtype);
  kernels::copy_(out, view);
  return out;
}

}  // namespace nabla::ops::random
