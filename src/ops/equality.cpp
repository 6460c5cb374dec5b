// Whole-tensor comparison: equal, isclose, allclose (not differentiable; results carry no
// history). Semantics of PyTorch 1.13: equal compares sizes and values after promotion;
// isclose requires one dtype and computes tolerances in it (in the default floating dtype for
// integer and bool tensors).
#include <cmath>
#include <type_traits>

#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/loops.h"
#include "nabla/functions.h"

namespace nabla {

namespace {

// |a - b| <= atol + |rtol * b| evaluated in T, or exact equality, or both NaN when asked.
template <typename S, typename T>
void isclose_kernel(const Tensor& out, const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  const bool exact_only = rtol == 0 && atol == 0;
  const T rt = static_cast<T>(rtol), at = static_cast<T>(atol);
  kernels::binary_loop<bool, S>(out, a, b, [=](S x, S y) {
    if (x == y) return true;
    if constexpr (std::is_floating_point_v<S>) {
      if (equal_nan && std::isnan(x) && std::isnan(y)) return true;
    }
    if (exact_only) return false;
    const T tx = static_cast<T>(x), ty = static_cast<T>(y);
    const T actual = std::abs(static_cast<T>(tx - ty));
    const T allowed = static_cast<T>(at + std::abs(static_cast<T>(rt * ty)));
    return std::isfinite(actual) && actual <= allowed;
  });
}

template <typename S>
void isclose_dispatch(const Tensor& out, const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  if constexpr (std::is_floating_point_v<S>) {
    isclose_kernel<S, S>(out, a, b, rtol, atol, equal_nan);
  } else if (TensorOptions::default_dtype() == kDouble) {
    isclose_kernel<S, double>(out, a, b, rtol, atol, equal_nan);
  } else {
    isclose_kernel<S, float>(out, a, b, rtol, atol, equal_nan);
  }
}

bool all_true(const Tensor& t) {
  const bool* p = t.data_ptr<bool>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!p[i]) return false;
  return true;
}

}  // namespace

bool equal(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  const ScalarType common = promoteTypes(a.scalar_type(), b.scalar_type());
  const Tensor x = kernels::to_dtype(a, common), y = kernels::to_dtype(b, common);
  Tensor same = core::empty(a.sizes(), kBool);
  NABLA_DISPATCH_ALL_TYPES(common, "equal", [&] {
    kernels::binary_loop<bool, scalar_t>(same, x, y, [](scalar_t u, scalar_t v) { return u == v; });
  });
  return all_true(same);
}

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  NABLA_CHECK(a.scalar_type() == b.scalar_type(), scalarTypeName(a.scalar_type()), " did not match ",
              scalarTypeName(b.scalar_type()));
  NABLA_CHECK(rtol >= 0, "rtol must be greater than or equal to zero, but got ", rtol);
  NABLA_CHECK(atol >= 0, "atol must be greater than or equal to zero, but got ", atol);
  Tensor out = core::empty(core::broadcast_shape(a.sizes(), b.sizes()), kBool);
  NABLA_DISPATCH_ALL_TYPES(a.scalar_type(), "isclose",
                           [&] { isclose_dispatch<scalar_t>(out, a, b, rtol, atol, equal_nan); });
  return out;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  return all_true(isclose(a, b, rtol, atol, equal_nan));
}

bool Tensor::equal(const Tensor& other) const { return nabla::equal(*this, other); }
bool Tensor::allclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return nabla::allclose(*this, other, rtol, atol, equal_nan);
}
Tensor Tensor::isclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return nabla::isclose(*this, other, rtol, atol, equal_nan);
}

}  // namespace nabla
