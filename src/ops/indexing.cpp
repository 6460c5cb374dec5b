// Python-style indexing: Tensor::index / operator[] / index_put_ with integers, slices, None,
// Ellipsis, bools, and int64 or bool tensors (advanced indexing); plus aten-style index /
// index_put on a list of optional index tensors, with their autograd.
#include <cstring>

#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "nabla/functions.h"
#include "nabla/indexing.h"
#include "nabla/warning.h"
#include "ops/shape_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;
using indexing::TensorIndex;

indexing::TensorIndex::TensorIndex(const char* s) : kind_(Kind::Ellipsis) {
  NABLA_CHECK(std::string_view(s) == "...", "Expected \"...\" to represent an ellipsis index, but got \"", s, "\"");
}

namespace {

// ---- advanced indexing kernels ----------------------------------------------------------

// Note [Advanced indexing]
// A list of optional int64 index tensors addresses self: the defined indices broadcast to
// `bshape`; the result is bshape in place of the indexed dims when they are adjacent, else
// bshape followed by the other dims.
// Work happens in "index-first" layout: element (b, r) of a [numel(bshape), R] buffer is
// self's element at base(b) + rest_offset[r], base(b) summing index_k[b] * stride(dim_k) over
// the indexed dims and rest_offset enumerating the other dims. The result is that buffer,
// permuted so that the broadcast dims sit where the indexed dims were (when adjacent).
struct AdvPlan {
  DimVector bshape, rest_shape, result_shape;
  std::vector<int64_t> base;         // per broadcast element, in elements of self
  std::vector<int64_t> rest_offset;  // per element of the other dims
  int64_t first = 0;                 // first indexed dim
  bool adjacent = true;
  DimVector perm;  // index-first layout -> result layout (empty if identity)
};

AdvPlan plan_advanced(const Tensor& self, const std::vector<Tensor>& indices) {
  NABLA_CHECK(static_cast<int64_t>(indices.size()) <= self.dim(), "too many indices for tensor of dimension ",
              self.dim(), " (got ", indices.size(), ")");
  AdvPlan p;
  std::vector<int64_t> dims;
  bool have = false;
  std::string shapes;
  for (size_t k = 0; k < indices.size(); ++k) {
    if (!indices[k].defined()) continue;
    NABLA_CHECK(indices[k].scalar_type() == kLong, "tensors used as indices must be long, byte or bool tensors");
    shapes += (shapes.empty() ? "" : ", ") + core::shape_str(indices[k].sizes());
    dims.push_back(static_cast<int64_t>(k));
  }
  for (int64_t k : dims) {
    const Tensor& t = indices[static_cast<size_t>(k)];
    if (!have) {
      p.bshape = DimVector(t.sizes());
      have = true;
      continue;
    }
    try {
      p.bshape = core::broadcast_shape(p.bshape, t.sizes());
    } catch (const Error&) {
      NABLA_CHECK(false, "shape mismatch: indexing tensors could not be broadcast together with shapes ", shapes);
    }
  }
  p.first = dims.front();
  for (size_t i = 1; i < dims.size(); ++i)
    if (dims[i] != dims[i - 1] + 1) p.adjacent = false;

  const int64_t nb = prod_sizes(p.bshape);
  p.base.assign(static_cast<size_t>(nb), 0);
  for (size_t ord = 0; ord < dims.size(); ++ord) {
    const int64_t d = dims[ord], size = self.size(d), stride = self.stride(d);
    Tensor idx = core::empty(p.bshape, kLong);
    kernels::copy_(idx, indices[static_cast<size_t>(d)]);
    const int64_t* v = idx.data_ptr<int64_t>();
    for (int64_t b = 0; b < nb; ++b) {
      NABLA_CHECK(v[b] >= -size && v[b] < size, "index ", v[b], " is out of bounds for dimension ", ord,
                  " with size ", size);
      p.base[static_cast<size_t>(b)] += (v[b] < 0 ? v[b] + size : v[b]) * stride;
    }
  }
  DimVector rest_strides;
  DimVector pre, post;
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (d < static_cast<int64_t>(indices.size()) && indices[static_cast<size_t>(d)].defined()) continue;
    p.rest_shape.push_back(self.size(d));
    rest_strides.push_back(self.stride(d));
    (d < p.first ? pre : post).push_back(self.size(d));
  }
  const int64_t nr = prod_sizes(p.rest_shape);
  p.rest_offset.reserve(static_cast<size_t>(nr));
  {
    DimVector coord(p.rest_shape.size(), 0);
    for (int64_t r = 0; r < nr; ++r) {
      int64_t off = 0;
      for (size_t i = 0; i < coord.size(); ++i) off += coord[i] * rest_strides[i];
      p.rest_offset.push_back(off);
      for (size_t i = coord.size(); i-- > 0;) {
        if (++coord[i] < p.rest_shape[i]) break;
        coord[i] = 0;
      }
    }
  }
  const int64_t nbd = static_cast<int64_t>(p.bshape.size());
  const int64_t npre = static_cast<int64_t>(pre.size());
  if (p.adjacent && npre > 0) {
    p.result_shape = pre;
    ops::append(p.result_shape, p.bshape);
    ops::append(p.result_shape, post);
    for (int64_t i = 0; i < npre; ++i) p.perm.push_back(nbd + i);
    for (int64_t i = 0; i < nbd; ++i) p.perm.push_back(i);
    for (int64_t i = nbd + npre; i < nbd + static_cast<int64_t>(p.rest_shape.size()); ++i) p.perm.push_back(i);
  } else {
    p.result_shape = p.bshape;
    ops::append(p.result_shape, p.rest_shape);
  }
  return p;
}

DimVector index_first_shape(const AdvPlan& p) {
  DimVector s = p.bshape;
  ops::append(s, p.rest_shape);
  return s;
}

template <typename T>
void gather_elements(const AdvPlan& p, const char* src, char* dst) {
  const T* s = reinterpret_cast<const T*>(src);
  T* o = reinterpret_cast<T*>(dst);
  const size_t nr = p.rest_offset.size();
  for (size_t b = 0; b < p.base.size(); ++b)
    for (size_t r = 0; r < nr; ++r) o[b * nr + r] = s[p.base[b] + p.rest_offset[r]];
}

Tensor index_kernel(const Tensor& self, const std::vector<Tensor>& indices) {
  AdvPlan p = plan_advanced(self, indices);
  Tensor buf = core::empty(index_first_shape(p), self.scalar_type());
  const char* src = static_cast<const char*>(self.data_ptr());
  char* dst = static_cast<char*>(buf.data_ptr());
  switch (self.element_size()) {
    case 1: gather_elements<uint8_t>(p, src, dst); break;
    case 4: gather_elements<uint32_t>(p, src, dst); break;
    default: gather_elements<uint64_t>(p, src, dst); break;
  }
  if (p.perm.empty()) return buf;
  Tensor out = core::empty(p.result_shape, self.scalar_type());
  kernels::copy_(out, buf.permute(p.perm));
  return out;
}

// Writes (or adds) value, broadcast to the indexing result, into dst at the indices.
void index_put_kernel(const Tensor& dst, const std::vector<Tensor>& indices, const Tensor& value, bool accumulate) {
  NABLA_CHECK(value.scalar_type() == dst.scalar_type(), "Index put requires the source and destination dtypes match, "
              "got ", scalarTypeName(dst.scalar_type()), " for the destination and ",
              scalarTypeName(value.scalar_type()), " for the source.");
  AdvPlan p = plan_advanced(dst, indices);
  bool fits = value.dim() <= static_cast<int64_t>(p.result_shape.size());
  for (int64_t i = 0; fits && i < value.dim(); ++i) {
    const int64_t v = value.size(value.dim() - 1 - i);
    fits = v == 1 || v == p.result_shape[p.result_shape.size() - 1 - static_cast<size_t>(i)];
  }
  NABLA_CHECK(fits, "shape mismatch: value tensor of shape ", value.sizes(),
              " cannot be broadcast to indexing result of shape ", core::shape_str(p.result_shape));
  // The value in index-first layout.
  Tensor buf = core::empty(index_first_shape(p), value.scalar_type());
  Tensor expanded = value.expand(p.result_shape);
  if (!p.perm.empty()) {
    DimVector inv(p.perm.size());
    for (size_t i = 0; i < p.perm.size(); ++i) inv[static_cast<size_t>(p.perm[i])] = static_cast<int64_t>(i);
    expanded = expanded.permute(inv);
  }
  kernels::copy_(buf, expanded);
  const size_t nr = p.rest_offset.size();
  NABLA_DISPATCH_ALL_TYPES(dst.scalar_type(), "index_put_", [&] {
    scalar_t* o = static_cast<scalar_t*>(dst.data_ptr());
    const scalar_t* v = buf.data_ptr<scalar_t>();
    for (size_t b = 0; b < p.base.size(); ++b)
      for (size_t r = 0; r < nr; ++r) {
        scalar_t& x = o[p.base[b] + p.rest_offset[r]];
        x = accumulate ? static_cast<scalar_t>(x + v[b * nr + r]) : v[b * nr + r];
      }
  });
}

// Index tensors carried as op state (they get no gradient and need no edges).
struct IndexList {
  std::vector<Tensor> v;
};

struct Index {
  static constexpr const char* name = "IndexBackward0";
  DimVector in_shape;
  std::vector<Tensor> indices;
  Tensor forward(Ctx&, const Tensor& self, const IndexList& idx) {
    in_shape = DimVector(self.sizes());
    indices = idx.v;
    return index_kernel(self, indices);
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {ops::index_put(zeros(in_shape, g[0].options()), indices, g[0], true)};
  }
};

struct IndexPutImpl {
  static constexpr const char* name = "IndexPutImplBackward0";
  std::vector<Tensor> indices;
  bool accumulate = false;
  Tensor forward(Ctx&, const Tensor& self, const IndexList& idx, const Tensor& value, bool acc) {
    indices = idx.v;
    accumulate = acc;
    Tensor out = ops::clone_plain(self);
    index_put_kernel(out, indices, value, accumulate);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) {
    Tensor gself = accumulate ? g[0] : ops::index_put(g[0], indices, zeros({}, g[0].options()), false);
    return {gself, ops::index(g[0], indices)};
  }
};
struct IndexPut : IndexPutImpl {
  static constexpr const char* name = "IndexPutBackward0";
};

// ---- Python-style index lists -----------------------------------------------------------

// The result of the basic part of an index list (ints, slices, None, Ellipsis, bools) and the
// int64 index tensors the advanced part applies to it (one slot per dim; undefined = all).
struct Basic {
  Tensor view;
  std::vector<Tensor> adv;
};

Tensor long_tensor(std::initializer_list<int64_t> v) {
  Tensor t = core::empty({static_cast<int64_t>(v.size())}, kLong);
  std::copy(v.begin(), v.end(), t.data_ptr<int64_t>());
  return t;
}

int64_t dims_consumed(const TensorIndex& ix) {
  switch (ix.kind()) {
    case TensorIndex::Kind::Integer:
    case TensorIndex::Kind::Slice: return 1;
    case TensorIndex::Kind::Tensor: {
      const Tensor& t = ix.tensor();
      const bool mask = t.scalar_type() == kBool || t.scalar_type() == kByte;
      if (t.dim() == 0) return mask ? 0 : 1;
      return mask ? t.dim() : 1;
    }
    default: return 0;
  }
}

Basic apply_basic(const Tensor& self, ArrayRef<TensorIndex> indices) {
  int64_t consumed = 0;
  for (const auto& ix : indices) consumed += dims_consumed(ix);
  NABLA_CHECK(consumed <= self.dim(), "too many indices for tensor of dimension ", self.dim());
  Basic r{self, {}};
  int64_t d = 0;
  bool ellipsis = false;
  auto record = [&](const Tensor& t) {
    if (r.adv.size() <= static_cast<size_t>(d)) r.adv.resize(static_cast<size_t>(d) + 1);
    r.adv[static_cast<size_t>(d)] = t;
    ++d;
  };
  auto select = [&](int64_t i) {
    const int64_t size = r.view.size(d);
    NABLA_CHECK(i >= -size && i < size, "index ", i, " is out of bounds for dimension ", d, " with size ", size);
    r.view = r.view.select(d, i);
  };
  auto boolean = [&](bool b) {
    r.view = r.view.unsqueeze(d);
    record(b ? long_tensor({0}) : long_tensor({}));
  };
  for (const auto& ix : indices) {
    switch (ix.kind()) {
      case TensorIndex::Kind::Integer: select(ix.integer()); break;
      case TensorIndex::Kind::Slice: {
        const auto& s = ix.slice();
        NABLA_CHECK(s.step() != 0, "slice step cannot be zero");
        NABLA_CHECK(s.step() > 0, "step must be greater than zero");
        r.view = r.view.slice(d, s.start(), s.stop(), s.step());
        ++d;
        break;
      }
      case TensorIndex::Kind::None:
        r.view = r.view.unsqueeze(d);
        ++d;
        break;
      case TensorIndex::Kind::Ellipsis:
        if (!ellipsis) d += self.dim() - consumed;
        ellipsis = true;
        break;
      case TensorIndex::Kind::Boolean: boolean(ix.boolean()); break;
      case TensorIndex::Kind::Tensor: {
        const Tensor& t = ix.tensor();
        const ScalarType st = t.scalar_type();
        const bool mask = st == kBool || st == kByte;
        if (st == kByte) warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead.");
        if (t.dim() == 0 && isIntegralType(st, true)) {
          if (mask)
            boolean(t.item<int64_t>() != 0);
          else
            select(t.item<int64_t>());
        } else if (mask) {
          for (int64_t j = 0; j < t.dim(); ++j)
            NABLA_CHECK(t.size(j) == r.view.size(d + j), "The shape of the mask ", t.sizes(), " at index ", j,
                        " does not match the shape of the indexed tensor ", r.view.sizes(), " at index ", d + j);
          Tensor nz = t.nonzero();
          for (int64_t j = 0; j < t.dim(); ++j) record(nz.select(1, j));
        } else {
          NABLA_CHECK(st == kLong, "tensors used as indices must be long, byte or bool tensors");
          record(t);
        }
        break;
      }
    }
  }
  return r;
}

// Writes value into target (a tensor with no autograd recording) at the index list.
void put_into(const Tensor& target, ArrayRef<TensorIndex> indices, const Tensor& value) {
  Basic b = apply_basic(target, indices);
  if (b.adv.empty())
    kernels::copy_(b.view, value.expand(b.view.sizes()));
  else
    index_put_kernel(b.view, b.adv, value, false);
}

// self.index_put_(indices, value) in the graph: CopySlices for basic indices (as PyTorch's
// assignment through a view), IndexPutBackward0 with tensor indices.
struct CopySlices {
  static constexpr const char* name = "torch::autograd::CopySlices";
  std::vector<TensorIndex> indices;
  Tensor forward(Ctx&, const Tensor& self, const Tensor& value, ArrayRef<TensorIndex> idx) {
    indices.assign(idx.begin(), idx.end());
    Tensor out = ops::clone_plain(self);
    put_into(out, indices, value);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) {
    Tensor gself = autograd::apply<CopySlices>(g[0], zeros({}, g[0].options()), ArrayRef<TensorIndex>(indices));
    return {gself, g[0].index(indices)};
  }
};

struct IndexPutList : CopySlices {
  static constexpr const char* name = "IndexPutBackward0";
};

// Whether an index list has a basic part (anything but Ellipsis and index tensors with dims):
// PyTorch then assigns through a view of self, which its graph records as CopySlices.
bool has_basic_index(ArrayRef<TensorIndex> indices) {
  for (const auto& ix : indices) {
    if (ix.kind() == TensorIndex::Kind::Ellipsis) continue;
    if (ix.kind() == TensorIndex::Kind::Tensor && ix.tensor().dim() > 0) continue;
    return true;
  }
  return false;
}

}  // namespace

namespace ops {

Tensor index(const Tensor& self, const std::vector<Tensor>& indices) {
  return autograd::apply<Index>(self, IndexList{indices});
}
Tensor index_put(const Tensor& self, const std::vector<Tensor>& indices, const Tensor& value, bool accumulate) {
  return autograd::apply<IndexPutImpl>(self, IndexList{indices}, value, accumulate);
}
Tensor& index_put_(Tensor& self, const std::vector<Tensor>& indices, const Tensor& value, bool accumulate) {
  return autograd::apply_inplace<IndexPut>(self, IndexList{indices}, value, accumulate);
}

}  // namespace ops

Tensor Tensor::index(ArrayRef<TensorIndex> indices) const {
  if (indices.empty() || (indices.size() == 1 && indices[0].kind() == TensorIndex::Kind::Ellipsis))
    return ops::alias(*this);
  Basic b = apply_basic(*this, indices);
  if (b.adv.empty()) return b.view;
  return ops::index(b.view, b.adv);
}
Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const {
  return index(ArrayRef<TensorIndex>(indices.begin(), indices.size()));
}

Tensor Tensor::operator[](int64_t index) const { return select(0, index); }
Tensor Tensor::operator[](const Tensor& index) const { return this->index({TensorIndex(index)}); }

Tensor& Tensor::index_put_(ArrayRef<TensorIndex> indices, const Tensor& value) const {
  bool only_ellipsis = true;
  for (const auto& ix : indices) only_ellipsis = only_ellipsis && ix.kind() == TensorIndex::Kind::Ellipsis;
  if (only_ellipsis) return copy_(value);
  if (!GradMode::is_enabled() || (!requires_grad() && !value.requires_grad())) {
    autograd::check_inplace(*this);
    {
      AutoGradMode no_grad(false);
      put_into(*this, indices, value);
    }
    impl()->bump_version();
    return self();
  }
  const bool basic = has_basic_index(indices);
  NABLA_CHECK(!basic || !is_leaf() || !requires_grad(),
              "a view of a leaf Variable that requires grad is being used in an in-place operation.");
  if (basic) return autograd::apply_inplace<CopySlices>(self(), value, indices);
  return autograd::apply_inplace<IndexPutList>(self(), value, indices);
}
Tensor& Tensor::index_put_(ArrayRef<TensorIndex> indices, const Scalar& value) const {
  Tensor v = core::empty({}, scalar_type());
  kernels::fill_(v, value);
  return index_put_(indices, v);
}
Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& value) const {
  return index_put_(ArrayRef<TensorIndex>(indices.begin(), indices.size()), value);
}
Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Scalar& value) const {
  return index_put_(ArrayRef<TensorIndex>(indices.begin(), indices.size()), value);
}

}  // namespace nabla
