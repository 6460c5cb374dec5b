#include "kernels/cpu/reduce.h"

#include <cmath>

namespace nabla::kernels {

namespace {
// Appends (size, stride) to the innermost-first lists, merging with the previous (inner) dim
// when the two are contiguous with each other; size-1 dims are dropped.
void push_dim(DimVector& sizes, DimVector& strides, int64_t size, int64_t stride) {
  if (size == 1) return;
  if (!sizes.empty() && stride == strides.back() * sizes.back()) {
    sizes.back() *= size;
    return;
  }
  sizes.push_back(size);
  strides.push_back(stride);
}
}  // namespace

DimVector all_dims(const Tensor& t) {
  DimVector d;
  for (int64_t i = 0; i < t.dim(); ++i) d.push_back(i);
  return d;
}

ReduceGeom reduce_geom(const Tensor& t, IntArrayRef dims, bool keepdim) {
  const int64_t nd = t.dim();
  uint64_t mask = 0;
  for (int64_t d : dims) mask |= 1ULL << d;
  ReduceGeom g;
  g.data = static_cast<const char*>(t.data_ptr());
  g.elem = static_cast<int64_t>(t.element_size());
  for (int64_t d = 0; d < nd; ++d) {
    const bool red = mask & (1ULL << d);
    if (red) g.num_red *= t.size(d);
    else g.num_out *= t.size(d);
    if (!red) g.out_shape.push_back(t.size(d));
    else if (keepdim) g.out_shape.push_back(1);
  }
  for (int64_t d = nd; d-- > 0;) {
    if (mask & (1ULL << d)) push_dim(g.red_sizes, g.red_strides, t.size(d), t.stride(d));
    else push_dim(g.kept_sizes, g.kept_strides, t.size(d), t.stride(d));
  }
  if (g.num_red == 0) {
    g.red_sizes.clear();
    g.red_strides.clear();
  }
  return g;
}

DimLayout dim_layout(IntArrayRef sizes, int64_t dim) {
  DimLayout l;
  for (int64_t d = 0; d < static_cast<int64_t>(sizes.size()); ++d) {
    if (d < dim) l.outer *= sizes[d];
    else if (d == dim) l.n = sizes[d];
    else l.inner *= sizes[d];
  }
  return l;
}

namespace {

template <typename T>
using acc_of = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// Integer sums wrap (as PyTorch's do) instead of overflowing.
template <typename A>
inline A add_wrap(A a, A b) {
  if constexpr (std::is_integral_v<A>) return static_cast<A>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else return a + b;
}

// Scan along dim; `reverse` scans from the end. Columns of the inner dim advance together.
template <typename T>
void scan(const Tensor& out, const Tensor& t, int64_t dim, bool reverse) {
  using A = acc_of<T>;
  const DimLayout l = dim_layout(t.sizes(), dim);
  const T* x = t.data_ptr<T>();
  T* y = out.data_ptr<T>();
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, l.n * l.inner));
  parallel_for(0, l.outer, grain, [&](int64_t b, int64_t e) {
    std::vector<A> acc(static_cast<size_t>(l.inner));
    for (int64_t a = b; a < e; ++a) {
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t s = 0; s < l.n; ++s) {
        const int64_t i = reverse ? l.n - 1 - s : s;
        const T* xr = x + (a * l.n + i) * l.inner;
        T* yr = y + (a * l.n + i) * l.inner;
        for (int64_t k = 0; k < l.inner; ++k) {
          acc[k] = add_wrap(acc[k], static_cast<A>(xr[k]));
          if constexpr (std::is_same_v<T, bool>) yr[k] = acc[k] != 0;
          else yr[k] = static_cast<T>(acc[k]);
        }
      }
    }
  });
}

template <typename T>
void softmax_impl(const Tensor& out, const Tensor& t, int64_t dim, bool log) {
  const DimLayout l = dim_layout(t.sizes(), dim);
  const T* x = t.data_ptr<T>();
  T* y = out.data_ptr<T>();
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, l.n * l.inner));
  parallel_for(0, l.outer, grain, [&](int64_t b, int64_t e) {
    std::vector<double> mx(static_cast<size_t>(l.inner)), sum(static_cast<size_t>(l.inner));
    for (int64_t a = b; a < e; ++a) {
      const T* xa = x + a * l.n * l.inner;
      T* ya = y + a * l.n * l.inner;
      std::fill(mx.begin(), mx.end(), -INFINITY);
      std::fill(sum.begin(), sum.end(), 0.0);
      // The max (NaN wins) keeps exp() from overflowing.
      for (int64_t i = 0; i < l.n; ++i)
        for (int64_t k = 0; k < l.inner; ++k) {
          const double v = xa[i * l.inner + k];
          if (v > mx[k] || std::isnan(v)) mx[k] = std::isnan(mx[k]) ? mx[k] : v;
        }
      for (int64_t i = 0; i < l.n; ++i)
        for (int64_t k = 0; k < l.inner; ++k) sum[k] += std::exp(xa[i * l.inner + k] - mx[k]);
      for (int64_t k = 0; k < l.inner; ++k) sum[k] = log ? std::log(sum[k]) : 1.0 / sum[k];
      for (int64_t i = 0; i < l.n; ++i)
        for (int64_t k = 0; k < l.inner; ++k) {
          const double z = xa[i * l.inner + k] - mx[k];
          ya[i * l.inner + k] = static_cast<T>(log ? z - sum[k] : std::exp(z) * sum[k]);
        }
    }
  });
}

}  // namespace

void cumsum(const Tensor& out, const Tensor& t, int64_t dim) {
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "cumsum", [&] { scan<scalar_t>(out, t, dim, false); });
}

void reverse_cumsum(const Tensor& out, const Tensor& t, int64_t dim) {
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "cumsum", [&] { scan<scalar_t>(out, t, dim, true); });
}

void softmax(const Tensor& out, const Tensor& t, int64_t dim, bool log) {
  NABLA_DISPATCH_FLOATING_TYPES(t.scalar_type(), "softmax",
                                [&] { softmax_impl<scalar_t>(out, t, dim, log); });
}

}  // namespace nabla::kernels
