#include "kernels/cpu/elementwise.h"

#include "kernels/cpu/loops.h"

namespace nabla::kernels {

namespace {
template <typename To, typename From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) return v != From(0);
  else return static_cast<To>(v);
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
  NABLA_DISPATCH_ALL_TYPES(dst.scalar_type(), "copy_", [&] {
    using To = scalar_t;
    NABLA_DISPATCH_ALL_TYPES(src.scalar_type(), "copy_", [&] {
      using From = scalar_t;
      unary_loop<To, From>(dst, src, [](From v) { return convert<To>(v); });
    });
  });
}

void fill_(const Tensor& dst, const Scalar& v) {
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
