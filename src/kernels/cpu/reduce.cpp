#include "kernels/cpu/reduce.h"

#include <cmath>

#include "kernels/cpu/vmath.h"

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
    // Unsigned: a tensor without elements may have other sizes whose product does not fit.
    auto times = [&](int64_t a) { return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(t.size(d))); };
    if (red) g.num_red = times(g.num_red);
    else g.num_out = times(g.num_out);
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

template <typename T, typename A>
inline T narrow_to(A a) {
  if constexpr (std::is_same_v<T, bool>) return a != 0;
  else return static_cast<T>(a);
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
      if (l.inner == 1) {  // a plain running sum along a contiguous row
        const T* xr = x + a * l.n;
        T* yr = y + a * l.n;
        A run = 0;
        for (int64_t s = 0; s < l.n; ++s) {
          const int64_t i = reverse ? l.n - 1 - s : s;
          run = add_wrap(run, static_cast<A>(xr[i]));
          yr[i] = narrow_to<T>(run);
        }
        continue;
      }
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t s = 0; s < l.n; ++s) {
        const int64_t i = reverse ? l.n - 1 - s : s;
        const T* xr = x + (a * l.n + i) * l.inner;
        T* yr = y + (a * l.n + i) * l.inner;
        for (int64_t k = 0; k < l.inner; ++k) {
          acc[k] = add_wrap(acc[k], static_cast<A>(xr[k]));
          yr[k] = narrow_to<T>(acc[k]);
        }
      }
    }
  });
}

// p[i] = exp(p[i]) through the vector layer.
template <typename T>
void exp_inplace(T* p, int64_t n) {
  vmath::apply(vmath::Fn::Exp, p, n);
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
      if (l.inner == 1) {
        vmath::softmax_row(xa, ya, l.n, log);
        continue;
      }
      std::fill(mx.begin(), mx.end(), -INFINITY);
      std::fill(sum.begin(), sum.end(), 0.0);
      // The max (NaN wins) keeps exp() from overflowing.
      for (int64_t i = 0; i < l.n; ++i)
        for (int64_t k = 0; k < l.inner; ++k) {
          const double v = xa[i * l.inner + k];
          if (v > mx[k] || std::isnan(v)) mx[k] = std::isnan(mx[k]) ? mx[k] : v;
        }
      // z = x - max, then exp(z) in place (vectorised, in T's precision as PyTorch), summed.
      const int64_t m = l.n * l.inner;
      for (int64_t i = 0; i < l.n; ++i)
        for (int64_t k = 0; k < l.inner; ++k) ya[i * l.inner + k] = static_cast<T>(xa[i * l.inner + k] - mx[k]);
      exp_inplace(ya, m);
      for (int64_t i = 0; i < l.n; ++i)
        for (int64_t k = 0; k < l.inner; ++k) sum[k] += ya[i * l.inner + k];
      for (int64_t k = 0; k < l.inner; ++k) sum[k] = log ? std::log(sum[k]) : 1.0 / sum[k];
      for (int64_t i = 0; i < l.n; ++i)
        for (int64_t k = 0; k < l.inner; ++k) {
          T& o = ya[i * l.inner + k];
          o = log ? static_cast<T>(xa[i * l.inner + k] - mx[k] - sum[k]) : static_cast<T>(o * sum[k]);
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
