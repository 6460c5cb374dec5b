// Factories that create tensors from sizes, values or memory (random ones: random.cpp).
#include <cstring>

#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
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

Tensor ones(IntArrayRef size, TensorOptions options) { return full(size, 1, options); }

Tensor full(IntArrayRef size, const Scalar& fill_value, TensorOptions options) {
  // Without a dtype, full takes the value's type: full({2}, 7) is int64, full({2}, true) bool.
  ScalarType dt = options.has_dtype() ? options.dtype()
                  : fill_value.isFloatingPoint() ? TensorOptions::default_dtype()
                                                 : fill_value.type();
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
  int64_t extent = 1;
  for (size_t i = 0; i < sizes.size(); ++i)
    if (sizes[i] > 0) extent += (sizes[i] - 1) * strides[i];
  auto st = StorageImpl::from_blob(data, static_cast<size_t>(extent) * elementSize(options.dtype()));
  return finish(Tensor(make_intrusive<TensorImpl>(std::move(st), options.dtype(), sizes, strides, 0)), options);
}

Tensor from_blob(void* data, IntArrayRef sizes, TensorOptions options) {
  return from_blob(data, sizes, contiguous_strides(sizes), options);
}

Tensor from_blob(void* data, IntArrayRef sizes, std::function<void(void*)> deleter, TensorOptions options) {
  auto st = StorageImpl::from_blob(data, static_cast<size_t>(prod_sizes(sizes)) * elementSize(options.dtype()),
                                   std::move(deleter));
  return finish(Tensor(make_intrusive<TensorImpl>(std::move(st), options.dtype(), sizes,
                                                  contiguous_strides(sizes), 0)),
                options);
}

// ---- tensor({...}) --------------------------------------------------------------------------

TensorDataContainer::TensorDataContainer(double v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(float v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(int v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(int64_t v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(uint8_t v) : scalar_(static_cast<int64_t>(v)) {}
TensorDataContainer::TensorDataContainer(bool v) : scalar_(v) {}
TensorDataContainer::TensorDataContainer(std::initializer_list<TensorDataContainer> list)
    : is_list_(true), elems_(list) {
  for (size_t i = 1; i < elems_.size(); ++i) {
    NABLA_CHECK(elems_[i].sizes() == elems_[0].sizes(),
                "Expected all sub-lists to have sizes: ", elems_[0].sizes().ref(), " (e.g. ", "{...}",
                "), but got sub-list ", "{...}", " with sizes: ", elems_[i].sizes().ref());
  }
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
  Tensor t = core::empty(data.sizes(), dt);
  data.fill(t.data_ptr(), dt);
  return finish(t, options);
}

}  // namespace nabla
