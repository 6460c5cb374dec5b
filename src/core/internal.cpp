#include "core/internal.h"

#include <algorithm>
#include <sstream>

namespace nabla::core {

size_t storage_nbytes(IntArrayRef sizes, size_t element_size, IntArrayRef strides) {
  for (int64_t s : sizes) NABLA_CHECK(s >= 0, "Trying to create tensor with negative dimension ", s, ": ", sizes);
  auto overflow = [&] { return Error(nabla::detail::str("Storage size calculation overflowed with sizes=", sizes)); };
  // Elements from the first to one past the last: the product of the sizes, or for given
  // strides 1 + sum of (size - 1) * stride (an empty tensor needs none).
  uint64_t elements = 1;
  if (strides.empty()) {
    // The product of the sizes, zeros counted as ones, must fit too: strides, contiguity and
    // reductions multiply them, even for a tensor without elements.
    uint64_t extent = 1;
    for (int64_t s : sizes)
      if (__builtin_mul_overflow(extent, static_cast<uint64_t>(std::max<int64_t>(s, 1)), &extent) ||
          extent > static_cast<uint64_t>(INT64_MAX))
        throw overflow();
    for (int64_t s : sizes) elements *= static_cast<uint64_t>(s);
  } else {
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (sizes[d] == 0) return 0;
      NABLA_CHECK(strides[d] >= 0, "from_blob: negative strides are not supported (got ", strides, ")");
      uint64_t span = 0;
      if (__builtin_mul_overflow(static_cast<uint64_t>(sizes[d] - 1), static_cast<uint64_t>(strides[d]), &span) ||
          __builtin_add_overflow(elements, span, &elements))
        throw overflow();
    }
  }
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(elements, static_cast<uint64_t>(element_size), &bytes) ||
      bytes > static_cast<uint64_t>(INT64_MAX))
    throw overflow();
  return static_cast<size_t>(bytes);
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  int64_t n = ndim == 0 ? 1 : ndim;
  NABLA_CHECK(dim >= -n && dim < n, "Dimension out of range (expected to be in range of [", -n, ", ",
              n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

DimVector wrap_dims(IntArrayRef dims, int64_t ndim) {
  DimVector out;
  uint64_t seen = 0;
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, ndim);
    NABLA_CHECK(!(seen & (1ULL << w)), "dim ", w, " appears multiple times in the list of dims");
    seen |= 1ULL << w;
    out.push_back(w);
  }
  return out;
}

DimVector broadcast_shape(IntArrayRef a, IntArrayRef b) {
  size_t n = std::max(a.size(), b.size());
  DimVector out(n);
  for (size_t i = 0; i < n; ++i) {
    // i counts from the right; PyTorch reports the dim index counted from the left of the result.
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    NABLA_CHECK(da == db || da == 1 || db == 1, "The size of tensor a (", da,
                ") must match the size of tensor b (", db, ") at non-singleton dimension ", n - 1 - i);
    out[n - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

// Note [Type promotion]
// PyTorch ranks operands in three groups: tensors with dims, 0-dim tensors, and Python
// scalars. The result's category (bool < integral < floating) is the highest of all operands;
// within that category, the dtype comes from the highest group that reaches it: dimensioned
// tensors first, then 0-dim tensors, then the scalar's default (int64 / default float dtype).
// So int32 tensor + 5 → int32, int32 tensor + 2.5 → float32, float32 tensor + float64 0-dim → float32.
namespace {
int category(ScalarType t) { return t == kBool ? 0 : isFloatingType(t) ? 2 : 1; }

struct Promoter {
  std::optional<ScalarType> dimmed, zerodim, wrapped;
  void add(ScalarType t, int group) {
    auto& slot = group == 0 ? dimmed : group == 1 ? zerodim : wrapped;
    slot = slot ? promoteTypes(*slot, t) : t;
  }
  ScalarType result() const {
    int cat = 0;
    for (auto& s : {dimmed, zerodim, wrapped})
      if (s) cat = std::max(cat, category(*s));
    for (auto& s : {dimmed, zerodim})
      if (s && category(*s) == cat) return *s;
    // Only a scalar reaches this category.
    if (cat == 2) return TensorOptions::default_dtype();
    return *wrapped;
  }
};
}  // namespace

ScalarType result_type(std::initializer_list<const Tensor*> operands) {
  // Operands of one dtype promote to it, whatever their groups (the common case).
  ScalarType first = (*operands.begin())->scalar_type();
  bool uniform = true;
  for (const Tensor* t : operands) uniform = uniform && t->scalar_type() == first;
  if (uniform) return first;
  Promoter p;
  for (const Tensor* t : operands) p.add(t->scalar_type(), t->dim() == 0 ? 1 : 0);
  return p.result();
}

ScalarType result_type_scalar(const Tensor& t, const Scalar& s) {
  // A scalar never raises a tensor's dtype within its category or below it.
  if (category(s.type()) <= category(t.scalar_type())) return t.scalar_type();
  Promoter p;
  p.add(t.scalar_type(), t.dim() == 0 ? 1 : 0);
  p.add(s.type(), 2);
  return p.result();
}

std::string shape_str(IntArrayRef s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

}  // namespace nabla::core
