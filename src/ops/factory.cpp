// Factories that create tensors from sizes, values or memory (random ones: random.cpp).
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "ops/elementwise_common.h"
#include "nabla/functions.h"

namespace nabla {

namespace {
Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad()) t.requires_grad_(true);
  return t;
}
}  // namespace

Tensor empty(IntArrayRef size, TensorOptions options) {
  return finish(core::empty(size, options.dtype()), options);
}

Tensor zeros(IntArrayRef size, TensorOptions options) {
  Tensor t = core::empty(size, options.dtype());
  std::memset(t.data_ptr(), 0, t.nbytes());
  return finish(t, options);
}

Tensor ones(IntArrayRef size, TensorOptions options) {
  Tensor t = core::empty(size, options.dtype());
  kernels::fill_(t, 1);
  return finish(t, options);
}

Tensor full(IntArrayRef size, const Scalar& fill_value, TensorOptions options) {
  // Without a dtype, full takes the value's type: full({2}, 7) is int64, full({2}, true) bool.
  ScalarType dt = options.has_dtype() ? options.dtype()
                  : fill_value.isFloatingPoint() ? TensorOptions::default_dtype()
                                                 : fill_value.type();
  ops::check_fill_value(dt, fill_value);
  Tensor t = core::empty(size, dt);
  kernels::fill_(t, fill_value);
  return finish(t, options);
}

static TensorOptions like(const Tensor& t, TensorOptions o) {
  return o.has_dtype() ? o : o.dtype(t.scalar_type());
}
Tensor empty_like(const Tensor& t, TensorOptions options) { return empty(t.sizes(), like(t, options)); }
Tensor zeros_like(const Tensor& t, TensorOptions options) { return zeros(t.sizes(), like(t, options)); }
Tensor ones_like(const Tensor& t, TensorOptions options) { return ones(t.sizes(), like(t, options)); }
Tensor full_like(const Tensor& t, const Scalar& v, TensorOptions options) {
  return full(t.sizes(), v, like(t, options));
}

Tensor scalar_tensor(const Scalar& s, TensorOptions options) {
  ScalarType dt = options.has_dtype() ? options.dtype()
                  : s.isFloatingPoint() ? TensorOptions::default_dtype() : s.type();
  Tensor t = core::empty({}, dt);
  kernels::fill_(t, s);
  return finish(t, options);
}

Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, TensorOptions options) {
  NABLA_CHECK(sizes.size() == strides.size(), "from_blob: sizes ", sizes, " and strides ", strides,
              " must have the same length");
  auto st = StorageImpl::from_blob(data, core::storage_nbytes(sizes, elementSize(options.dtype()), strides));
  return finish(Tensor(make_intrusive<TensorImpl>(std::move(st), options.dtype(), sizes, strides, 0)), options);
}

Tensor from_blob(void* data, IntArrayRef sizes, TensorOptions options) {
  return from_blob(data, sizes, contiguous_strides(sizes), options);
}

Tensor from_blob(void* data, IntArrayRef sizes, std::function<void(void*)> deleter, TensorOptions options) {
  auto st = StorageImpl::from_blob(data, core::storage_nbytes(sizes, elementSize(options.dtype())), std::move(deleter));
  return finish(Tensor(make_intrusive<TensorImpl>(std::move(st), options.dtype(), sizes,
                                                  contiguous_strides(sizes), 0)),
                options);
}

// ---- arange, linspace, eye ------------------------------------------------------------------
//
// Note [Range values as PyTorch computes them]
// PyTorch's CPU kernels compute ranges in vectors of V lanes (V = 32 bytes / element size),
// two vectors per step, the rest one element at a time; nabla follows the same arithmetic so
// that the values agree bit for bit (the kernels are compiled with contraction, so a * b + c
// is a fused multiply-add where noted):
//   arange (floating dtypes, in double): element i = fma(step, i, start); a vector starting
//     at i0 holds base = T(fma(step, i0, start)) and element i0 + k = T(fma(k, step, base)).
//   linspace (in the dtype; integer dtypes use a double step): step = (end - start) /
//     (steps - 1); element i = fma(step, i, start) before steps / 2, else
//     fma(-step, steps - i - 1, end); a vector starting at i0 holds base = that value at i0
//     and element i0 + k = base + k * step (not fused).
// Integer arange is exact. Ranges longer than 32768 elements are split between threads in
// PyTorch, which shifts where the vectors start; nabla does not split.

namespace {

template <typename T, typename Acc>
void arange_fill(T* out, int64_t n, Acc start, Acc step) {
  constexpr int64_t V = 32 / static_cast<int64_t>(sizeof(T));
  int64_t i = 0;
  if constexpr (std::is_floating_point_v<T>) {
    for (; i + 2 * V <= n; i += 2 * V) {
      for (int64_t v0 = i; v0 < i + 2 * V; v0 += V) {
        const T base = static_cast<T>(std::fma(step, static_cast<Acc>(v0), start));
        for (int64_t k = 0; k < V; ++k)
          out[v0 + k] = static_cast<T>(std::fma(static_cast<Acc>(k), step, static_cast<Acc>(base)));
      }
    }
    for (; i < n; ++i) out[i] = static_cast<T>(std::fma(step, static_cast<Acc>(i), start));
  } else {
    // Integer ranges wrap like PyTorch's int64 arithmetic (unsigned, so no overflow UB).
    const auto s = static_cast<uint64_t>(start), d = static_cast<uint64_t>(step);
    for (; i < n; ++i) out[i] = static_cast<T>(static_cast<int64_t>(s + d * static_cast<uint64_t>(i)));
  }
}

template <typename T>
void linspace_fill(T* out, int64_t steps, const Scalar& start_s, const Scalar& end_s) {
  using Step = std::conditional_t<std::is_integral_v<T>, double, T>;
  const T start = start_s.to<T>(), end = end_s.to<T>();
  const Step step = (static_cast<Step>(end) - static_cast<Step>(start)) / static_cast<Step>(steps - 1);
  const int64_t half = steps / 2;
  auto at = [&](int64_t idx) -> T {
    if (idx < half) return static_cast<T>(std::fma(step, static_cast<Step>(idx), static_cast<Step>(start)));
    return static_cast<T>(std::fma(-step, static_cast<Step>(steps - idx - 1), static_cast<Step>(end)));
  };
  constexpr int64_t V = 32 / static_cast<int64_t>(sizeof(T));
  int64_t i = 0;
  for (; i + 2 * V <= steps; i += 2 * V) {
    for (int64_t v0 = i; v0 < i + 2 * V; v0 += V) {
      const T base = at(v0);
      for (int64_t k = 0; k < V; ++k) {
        const Step kstep = static_cast<Step>(k) * step;
        out[v0 + k] = static_cast<T>(static_cast<Step>(base) + kstep);
      }
    }
  }
  for (; i < steps; ++i) out[i] = at(i);
}

}  // namespace

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, TensorOptions options) {
  const bool floating = start.isFloatingPoint() || end.isFloatingPoint() || step.isFloatingPoint();
  const ScalarType out_dt = options.has_dtype() ? options.dtype() : floating ? TensorOptions::default_dtype() : kLong;
  const ScalarType dt = computeType(out_dt);  // Note [Narrow dtypes compute wide]
  NABLA_CHECK(dt != kBool, "\"arange_cpu\" not implemented for 'Bool'");
  Tensor t;
  if (isFloatingType(dt)) {
    const double a = start.toDouble(), b = end.toDouble(), d = step.toDouble();
    NABLA_CHECK(d > 0 || d < 0, "step must be nonzero");
    NABLA_CHECK(std::isfinite(a) && std::isfinite(b), "unsupported range: ", a, " -> ", b);
    NABLA_CHECK((d > 0 && b >= a) || (d < 0 && b <= a), "upper bound and larger bound inconsistent with step sign");
    const double size_d = std::ceil((b - a) / d);
    NABLA_CHECK(size_d >= 0 && size_d <= static_cast<double>(std::numeric_limits<int64_t>::max()),
                "invalid size, possible overflow?");
    t = core::empty({static_cast<int64_t>(size_d)}, dt);
    NABLA_DISPATCH_FLOATING_TYPES(dt, "arange", [&] {
      arange_fill<scalar_t, double>(static_cast<scalar_t*>(t.data_ptr()), t.numel(), a, d);
    });
  } else {
    for (const Scalar* s : {&start, &end})
      NABLA_CHECK(!s->isFloatingPoint() || std::isfinite(s->toDouble()), "unsupported range: ", start.toDouble(),
                  " -> ", end.toDouble());
    const int64_t a = start.toLong(), b = end.toLong(), d = step.toLong();
    NABLA_CHECK(d != 0, "step must be nonzero");
    NABLA_CHECK((d > 0 && b >= a) || (d < 0 && b <= a), "upper bound and larger bound inconsistent with step sign");
    // Size in double, as PyTorch: ceil((end - start) / step).
    const double diff = dt == kLong ? static_cast<double>(static_cast<int64_t>(static_cast<uint64_t>(b) - static_cast<uint64_t>(a)))
                                    : end.toDouble() - start.toDouble();
    const double size_d = std::ceil(diff / (dt == kLong ? static_cast<double>(d) : step.toDouble()));
    NABLA_CHECK(size_d >= 0 && size_d <= static_cast<double>(std::numeric_limits<int64_t>::max()),
                "invalid size, possible overflow?");
    t = core::empty({static_cast<int64_t>(size_d)}, dt);
    NABLA_DISPATCH_ALL_TYPES(dt, "arange", [&] {
      arange_fill<scalar_t, int64_t>(static_cast<scalar_t*>(t.data_ptr()), t.numel(), a, d);
    });
  }
  return finish(kernels::to_dtype(t, out_dt), options);
}

Tensor arange(const Scalar& start, const Scalar& end, TensorOptions options) {
  return arange(start, end, 1, options);
}
Tensor arange(const Scalar& end, TensorOptions options) { return arange(0, end, 1, options); }

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, TensorOptions options) {
  NABLA_CHECK(steps >= 0, "number of steps must be non-negative");
  const ScalarType dt = computeType(options.dtype());
  NABLA_CHECK(dt != kBool, "\"linspace_cpu\" not implemented for 'Bool'");
  Tensor t = core::empty({steps}, dt);
  if (steps == 1) {
    kernels::fill_(t, start);
  } else if (steps > 1) {
    NABLA_DISPATCH_ALL_TYPES(dt, "linspace", [&] {
      linspace_fill<scalar_t>(static_cast<scalar_t*>(t.data_ptr()), steps, start, end);
    });
  }
  return finish(kernels::to_dtype(t, options.dtype()), options);
}

Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  NABLA_CHECK(n >= 0, "n must be greater or equal to 0, got ", n);
  NABLA_CHECK(m >= 0, "m must be greater or equal to 0, got ", m);
  Tensor t = core::empty({n, m}, computeType(options.dtype()));
  std::memset(t.data_ptr(), 0, t.nbytes());
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "eye", [&] {
    scalar_t* p = static_cast<scalar_t*>(t.data_ptr());
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = static_cast<scalar_t>(1);
  });
  return finish(kernels::to_dtype(t, options.dtype()), options);
}
Tensor eye(int64_t n, TensorOptions options) { return eye(n, n, options); }

// ---- tensor({...}) --------------------------------------------------------------------------

TensorDataContainer::TensorDataContainer(double v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(float v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(int v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(int64_t v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(uint8_t v) : scalar_(static_cast<int64_t>(v)) {}
TensorDataContainer::TensorDataContainer(bool v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(std::initializer_list<TensorDataContainer> list)
    : is_list_(true), elems_(list) {
  auto sizes_str = [](const DimVector& sz) {
    std::ostringstream os;
    for (size_t i = 0; i < sz.size(); ++i) os << (i ? " " : "") << sz[i];
    return os.str();
  };
  for (size_t i = 1; i < elems_.size(); ++i) {
    NABLA_CHECK(elems_[i].sizes() == elems_[0].sizes(), "Expected all sub-lists to have sizes: ",
                sizes_str(elems_[0].sizes()), " (e.g. ", elems_[0].repr(), "), but got sub-list ", elems_[i].repr(),
                " with sizes: ", sizes_str(elems_[i].sizes()));
  }
}

std::string TensorDataContainer::repr() const {
  std::ostringstream os;
  if (!is_list_) {
    if (scalar_.isFloatingPoint()) os << scalar_.toDouble();
    else if (scalar_.isBoolean()) os << scalar_.toBool();
    else os << scalar_.toLong();
    return os.str();
  }
  os << "{";
  for (size_t i = 0; i < elems_.size(); ++i) os << (i ? ", " : "") << elems_[i].repr();
  os << "}";
  return os.str();
}
template <typename T>
static std::vector<TensorDataContainer> elems_of(const std::vector<T>& v) {
  std::vector<TensorDataContainer> out;
  out.reserve(v.size());
  for (const auto& x : v) out.emplace_back(static_cast<T>(x));
  return out;
}
TensorDataContainer::TensorDataContainer(const std::vector<double>& v) : is_list_(true), elems_(elems_of(v)) {}
TensorDataContainer::TensorDataContainer(const std::vector<float>& v) : is_list_(true), elems_(elems_of(v)) {}
TensorDataContainer::TensorDataContainer(const std::vector<int64_t>& v) : is_list_(true), elems_(elems_of(v)) {}
TensorDataContainer::TensorDataContainer(const std::vector<int>& v) : is_list_(true), elems_(elems_of(v)) {}
TensorDataContainer::TensorDataContainer(const std::vector<bool>& v) : is_list_(true) {
  for (bool b : v) elems_.emplace_back(b);
}

DimVector TensorDataContainer::sizes() const {
  DimVector s;
  const TensorDataContainer* c = this;
  while (c->is_list_) {
    s.push_back(static_cast<int64_t>(c->elems_.size()));
    if (c->elems_.empty()) break;
    c = &c->elems_[0];
  }
  return s;
}

ScalarType TensorDataContainer::inferred_dtype() const {
  if (!is_list_) {
    return scalar_.isFloatingPoint() ? TensorOptions::default_dtype() : scalar_.type();
  }
  if (elems_.empty()) return TensorOptions::default_dtype();
  ScalarType t = elems_[0].inferred_dtype();
  for (size_t i = 1; i < elems_.size(); ++i) t = promoteTypes(t, elems_[i].inferred_dtype());
  return t;
}

void TensorDataContainer::fill(void* out, ScalarType dtype) const {
  char* p = static_cast<char*>(out);
  const size_t es = elementSize(dtype);
  std::vector<const TensorDataContainer*> stack{this};
  // Depth-first, left to right: the leaves come out in row-major order.
  std::vector<const TensorDataContainer*> leaves;
  while (!stack.empty()) {
    const TensorDataContainer* c = stack.back();
    stack.pop_back();
    if (!c->is_list_) {
      leaves.push_back(c);
      continue;
    }
    for (size_t i = c->elems_.size(); i-- > 0;) stack.push_back(&c->elems_[i]);
  }
  for (const auto* leaf : leaves) {
    NABLA_DISPATCH_ALL_TYPES(dtype, "tensor", [&] {
      scalar_t v = leaf->scalar_.to<scalar_t>();
      std::memcpy(p, &v, es);
    });
    p += es;
  }
}

Tensor tensor(TensorDataContainer data, TensorOptions options) {
  ScalarType dt = options.has_dtype() ? options.dtype() : data.inferred_dtype();
  Tensor t = core::empty(data.sizes(), computeType(dt));
  data.fill(t.data_ptr(), computeType(dt));
  return finish(kernels::to_dtype(t, dt), options);
}

}  // namespace nabla
