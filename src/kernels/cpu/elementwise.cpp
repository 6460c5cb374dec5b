#include "kernels/cpu/elementwise.h"

#include "kernels/cpu/loops.h"

namespace nabla::kernels {

namespace {
template <typename To, typename From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) return v != From(0);
  else return static_cast<To>(v);
}

// The loops compiled for the narrow dtypes: conversions to and from their compute types
// (Note [Narrow dtypes compute wide]); every other conversion goes through those.
template <typename F>
void dispatch_narrow(ScalarType t, F f) {
  if (t == kHalf)
    f(Half{});
  else if (t == kShort)
    f(int16_t{});
  else
    f(int8_t{});
}
template <typename N>
using compute_t = std::conditional_t<std::is_same_v<N, Half>, float, int32_t>;

// dst (a narrow dtype or its compute type) = src (the other one), with broadcasting.
void convert_narrow(const Tensor& dst, const Tensor& src) {
  const bool to_narrow = isNarrowType(dst.scalar_type());
  dispatch_narrow(to_narrow ? dst.scalar_type() : src.scalar_type(), [&](auto n) {
    using N = decltype(n);
    using W = compute_t<N>;
    if (to_narrow)
      unary_loop<N, W>(dst, src, [](W v) { return static_cast<N>(v); });
    else
      unary_loop<W, N>(dst, src, [](N v) { return static_cast<W>(v); });
  });
}

void copy_narrow(const Tensor& dst, const Tensor& src) {
  const ScalarType d = dst.scalar_type(), s = src.scalar_type();
  if (isNarrowType(s) && d == computeType(s)) return convert_narrow(dst, src);
  if (isNarrowType(d) && s == computeType(d)) return convert_narrow(dst, src);
  if (d == s) {  // same narrow dtype, strided or broadcast: the bits move unchanged
    dispatch_narrow(d, [&](auto n) {
      using N = decltype(n);
      unary_loop<N, N>(dst, src, [](N v) { return v; });
    });
    return;
  }
  // Through the compute type of the source when it is narrow, else of the destination.
  const ScalarType via = isNarrowType(s) ? computeType(s) : computeType(d);
  Tensor tmp = core::empty(src.sizes(), via);
  copy_(tmp, src);
  copy_(dst, tmp);
}
}  // namespace

void copy_(const Tensor& dst, const Tensor& src) {
  core::broadcast_shape(dst.sizes(), src.sizes());  // checks compatibility
  NABLA_CHECK(src.dim() <= dst.dim(), "output with shape ", dst.sizes(),
              " doesn't match the broadcast shape ", core::broadcast_shape(dst.sizes(), src.sizes()));
  for (int64_t i = 0; i < src.dim(); ++i) {
    int64_t sd = src.size(i), dd = dst.size(dst.dim() - src.dim() + i);
    NABLA_CHECK(sd == dd || sd == 1, "output with shape ", dst.sizes(), " doesn't match the broadcast shape ",
                core::broadcast_shape(dst.sizes(), src.sizes()));
  }
  if (dst.scalar_type() == src.scalar_type() && dst.is_contiguous() && src.is_contiguous() &&
      dst.sizes() == src.sizes()) {
    if (dst.data_ptr() != src.data_ptr()) std::memmove(dst.data_ptr(), src.data_ptr(), dst.nbytes());
    return;
  }
  if (isNarrowType(dst.scalar_type()) || isNarrowType(src.scalar_type())) return copy_narrow(dst, src);
  NABLA_DISPATCH_ALL_TYPES(dst.scalar_type(), "copy_", [&] {
    using To = scalar_t;
    NABLA_DISPATCH_ALL_TYPES(src.scalar_type(), "copy_", [&] {
      using From = scalar_t;
      unary_loop<To, From>(dst, src, [](From v) { return convert<To>(v); });
    });
  });
}

void fill_(const Tensor& dst, const Scalar& v) {
  if (isNarrowType(dst.scalar_type())) {
    // The value wraps or rounds as it would computed in the compute type (t_int8 + 1000).
    Tensor w = core::empty({}, computeType(dst.scalar_type()));
    fill_(w, v);
    copy_(dst, w);
    return;
  }
  NABLA_DISPATCH_ALL_TYPES(dst.scalar_type(), "fill_", [&] {
    const scalar_t x = v.to<scalar_t>();
    if (dst.is_contiguous()) {
      scalar_t* p = static_cast<scalar_t*>(dst.data_ptr());
      std::fill(p, p + dst.numel(), x);
      return;
    }
    StridedIter<1> it({&dst});
    it.run([&](std::array<char*, 1> p, std::array<int64_t, 1> s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) *reinterpret_cast<scalar_t*>(p[0] + i * s[0]) = x;
    });
  });
}

Tensor to_dtype(const Tensor& t, ScalarType dtype) {
  if (t.scalar_type() == dtype && t.is_contiguous()) return t;
  Tensor out = core::empty(t.sizes(), dtype);
  copy_(out, t);
  return out;
}

}  // namespace nabla::kernels
