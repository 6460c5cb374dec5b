// Shape ops that make views: view, reshape, flatten, unflatten, expand, permute, transpose, t,
// squeeze, unsqueeze (and their in-place forms), alias, broadcast_tensors.
#include "autograd/op.h"
#include "core/internal.h"
#include "nabla/functions.h"
#include "ops/shape_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace ops {

DimVector infer_size(IntArrayRef shape, int64_t numel) {
  DimVector out(shape);
  int64_t known = 1;
  std::optional<size_t> infer;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      NABLA_CHECK(!infer, "only one dimension can be inferred");
      infer = i;
    } else {
      NABLA_CHECK(out[i] >= 0, "invalid shape dimension ", out[i]);
      known *= out[i];
    }
  }
  if (infer) {
    NABLA_CHECK(known != 0 && numel % known == 0, "shape '", shape, "' is invalid for input of size ", numel);
    out[*infer] = numel / known;
  }
  NABLA_CHECK(prod_sizes(out) == numel, "shape '", shape, "' is invalid for input of size ", numel);
  return out;
}

int64_t wrap_dim_strict(int64_t dim, int64_t ndim) {
  NABLA_CHECK(ndim > 0, "Dimension specified as ", dim, " but tensor has no dimensions");
  return core::wrap_dim(dim, ndim);
}

}  // namespace ops

namespace {

// Strides that let `newshape` view memory laid out as (oldshape, oldstride), if any
// (the chunk-matching rule of PyTorch's computeStride).
std::optional<DimVector> view_strides(IntArrayRef oldshape, IntArrayRef oldstride, IntArrayRef newshape) {
  if (oldshape.empty()) return DimVector(newshape.size(), 1);
  const int64_t numel = prod_sizes(oldshape);
  if (numel == 0) return contiguous_strides(newshape);
  DimVector newstride(newshape.size());
  int64_t view_d = static_cast<int64_t>(newshape.size()) - 1;
  int64_t chunk_base_stride = oldstride.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(oldshape.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= oldshape[tensor_d];
    if (tensor_d == 0 || (oldshape[tensor_d - 1] != 1 && oldstride[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || newshape[view_d] == 1)) {
        newstride[view_d] = view_numel * chunk_base_stride;
        view_numel *= newshape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = oldstride[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return newstride;
}

struct View {
  static constexpr const char* name = "ViewBackward0";
  static constexpr bool is_view = true;
  DimVector in_shape;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef size) {
    in_shape = DimVector(t.sizes());
    DimVector shape = ops::infer_size(size, t.numel());
    auto st = view_strides(t.sizes(), t.strides(), shape);
    NABLA_CHECK(st, "view size is not compatible with input tensor's size and stride (at least one dimension "
                    "spans across two contiguous subspaces). Use .reshape(...) instead.");
    return core::alias_with(t, shape, *st, t.storage_offset());
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].reshape(in_shape)}; }
};

// reshape of a tensor whose memory allows the new shape: a view (PyTorch's _reshape_alias).
struct ReshapeAlias {
  static constexpr const char* name = "ReshapeAliasBackward0";
  static constexpr bool is_view = true;
  DimVector in_shape;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef shape, IntArrayRef strides) {
    in_shape = DimVector(t.sizes());
    return core::alias_with(t, shape, strides, t.storage_offset());
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].reshape(in_shape)}; }
};

// reshape otherwise: the new shape over a fresh contiguous copy (PyTorch's _unsafe_view; the
// copy is not a view of the input, so the result is not one either).
struct UnsafeView {
  static constexpr const char* name = "UnsafeViewBackward0";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  DimVector in_shape;
  Tensor forward(Ctx&, const Tensor& copy, IntArrayRef shape) {
    in_shape = DimVector(copy.sizes());
    return core::alias_with(copy, shape, contiguous_strides(shape), copy.storage_offset());
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].reshape(in_shape)}; }
};

struct Alias {
  static constexpr const char* name = "AliasBackward0";
  static constexpr bool is_view = true;
  Tensor forward(Ctx&, const Tensor& t) { return core::alias(t); }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0]}; }
};

struct Expand {
  static constexpr const char* name = "ExpandBackward0";
  static constexpr bool is_view = true;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef size) {
    const int64_t nd = static_cast<int64_t>(size.size());
    NABLA_CHECK(nd >= t.dim(), "expand(", legacyTypeName(t.scalar_type()), "{", t.sizes(),
                "}, size=", size, "): the number of sizes provided (", nd, ") must be greater or equal to the "
                "number of dimensions in the tensor (", t.dim(), ")");
    DimVector shape(size.size()), strides(size.size());
    for (int64_t i = nd - 1; i >= 0; --i) {
      int64_t j = i - (nd - t.dim());
      if (j >= 0) {
        int64_t have = t.size(j);
        int64_t want = size[i] == -1 ? have : size[i];
        NABLA_CHECK(have == want || have == 1, "The expanded size of the tensor (", want,
                    ") must match the existing size (", have, ") at non-singleton dimension ", i,
                    ".  Target sizes: ", size, ".  Tensor sizes: ", t.sizes());
        shape[i] = want;
        strides[i] = have == want ? t.stride(j) : 0;
      } else {
        NABLA_CHECK(size[i] >= 0, "The expanded size of the tensor (", size[i],
                    ") isn't allowed in a leading, non-existing dimension ", i);
        shape[i] = size[i];
        strides[i] = 0;
      }
    }
    return core::alias_with(t, shape, strides, t.storage_offset());
  }
  // The engine sums the gradient back to the input's shape.
  variable_list backward(Ctx&, const variable_list& g) { return {g[0]}; }
};

struct Permute {
  static constexpr const char* name = "PermuteBackward0";
  static constexpr bool is_view = true;
  DimVector dims;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef dims_) {
    NABLA_CHECK(static_cast<int64_t>(dims_.size()) == t.dim(),
                "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
                "desired ordering of dimensions i.e. input.dim() = ", t.dim(), " is not equal to len(dims) = ",
                dims_.size());
    dims.clear();
    std::vector<bool> seen(dims_.size(), false);
    for (int64_t d : dims_) {
      int64_t w = core::wrap_dim(d, t.dim());
      NABLA_CHECK(!seen[w], "permute(): duplicate dims are not allowed.");
      seen[w] = true;
      dims.push_back(w);
    }
    DimVector sizes(dims.size()), strides(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) {
      sizes[i] = t.size(dims[i]);
      strides[i] = t.stride(dims[i]);
    }
    return core::alias_with(t, sizes, strides, t.storage_offset());
  }
  variable_list backward(Ctx&, const variable_list& g) {
    DimVector inv(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) inv[dims[i]] = static_cast<int64_t>(i);
    return {g[0].permute(inv)};
  }
};

Tensor transposed(const Tensor& t, int64_t d0, int64_t d1) {
  DimVector sizes(t.sizes()), strides(t.strides());
  if (t.dim() > 0) {
    std::swap(sizes[d0], sizes[d1]);
    std::swap(strides[d0], strides[d1]);
  }
  return core::alias_with(t, sizes, strides, t.storage_offset());
}

struct Transpose {
  static constexpr const char* name = "TransposeBackward0";
  static constexpr bool is_view = true;
  int64_t d0 = 0, d1 = 0;
  Tensor forward(Ctx&, const Tensor& t, int64_t dim0, int64_t dim1) {
    d0 = core::wrap_dim(dim0, t.dim());
    d1 = core::wrap_dim(dim1, t.dim());
    return transposed(t, d0, d1);
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].transpose(d0, d1)}; }
};

struct T {
  static constexpr const char* name = "TBackward0";
  static constexpr bool is_view = true;
  Tensor forward(Ctx&, const Tensor& t) {
    NABLA_CHECK(t.dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", t.dim(), "D");
    return t.dim() < 2 ? core::alias(t) : transposed(t, 0, 1);
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].t()}; }
};

struct Unsqueeze {
  static constexpr const char* name = "UnsqueezeBackward0";
  static constexpr bool is_view = true;
  int64_t dim = 0;
  Tensor forward(Ctx&, const Tensor& t, int64_t d) {
    dim = core::wrap_dim(d, t.dim() + 1);
    DimVector sizes(t.sizes()), strides(t.strides());
    int64_t st = dim < t.dim() ? sizes[dim] * strides[dim] : 1;
    sizes.insert(sizes.begin() + dim, 1);
    strides.insert(strides.begin() + dim, st);
    return core::alias_with(t, sizes, strides, t.storage_offset());
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].squeeze(dim)}; }
};
struct UnsqueezeInplace : Unsqueeze {
  static constexpr const char* name = "UnsqueezeBackward1";
};

// squeeze() (all size-1 dims, name SqueezeBackward0) and squeeze(dim) (SqueezeBackward1).
struct Squeeze {
  static constexpr const char* name = "SqueezeBackward0";
  static constexpr bool is_view = true;
  DimVector in_shape;
  Tensor forward(Ctx&, const Tensor& t, std::optional<int64_t> d) {
    in_shape = DimVector(t.sizes());
    DimVector sizes, strides;
    std::optional<int64_t> only;
    if (d) only = core::wrap_dim(*d, t.dim());
    for (int64_t i = 0; i < t.dim(); ++i) {
      bool drop = t.size(i) == 1 && (!only || *only == i);
      if (!drop) {
        sizes.push_back(t.size(i));
        strides.push_back(t.stride(i));
      }
    }
    return core::alias_with(t, sizes, strides, t.storage_offset());
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].reshape(in_shape)}; }
};
struct SqueezeDim : Squeeze {
  static constexpr const char* name = "SqueezeBackward1";
};
struct SqueezeInplace : Squeeze {
  static constexpr const char* name = "SqueezeBackward2";
};
struct SqueezeDimInplace : Squeeze {
  static constexpr const char* name = "SqueezeBackward3";
};

// In-place geometry change (squeeze_, unsqueeze_): self takes the geometry of Op's view of
// it; the version is bumped and, when recorded, self becomes the output of Op's node.
template <typename Op, typename... Args>
Tensor& restride_inplace(Tensor& self, const Args&... args) {
  autograd::check_inplace(self);
  auto set = [&](const Tensor& v) {
    self.impl()->set_geometry(v.sizes(), v.strides(), v.storage_offset());
    self.impl()->bump_version();
  };
  if (!GradMode::is_enabled() || !self.requires_grad()) {
    Op op;
    Ctx ctx(nullptr);
    set(op.forward(ctx, self, args...));
    return self;
  }
  auto node = autograd::make_node<autograd::OpNode<Op>>();
  autograd::detail::add_edges(node->mutable_next_edges(), self);
  set(node->op.forward(node->ctx, self, args...));
  autograd::rebase_history(self, node);
  return self;
}

}  // namespace

Tensor Tensor::permute(IntArrayRef dims) const { return autograd::apply<Permute>(*this, dims); }
Tensor permute(const Tensor& t, IntArrayRef dims) { return t.permute(dims); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return autograd::apply<Transpose>(*this, d0, d1); }
Tensor transpose(const Tensor& t, int64_t d0, int64_t d1) { return t.transpose(d0, d1); }
Tensor Tensor::t() const { return autograd::apply<T>(*this); }
Tensor t(const Tensor& x) { return x.t(); }
Tensor Tensor::unsqueeze(int64_t dim) const { return autograd::apply<Unsqueeze>(*this, dim); }
Tensor unsqueeze(const Tensor& t, int64_t dim) { return t.unsqueeze(dim); }
Tensor Tensor::squeeze() const { return autograd::apply<Squeeze>(*this, std::optional<int64_t>()); }
Tensor Tensor::squeeze(int64_t dim) const { return autograd::apply<SqueezeDim>(*this, std::optional<int64_t>(dim)); }
Tensor squeeze(const Tensor& t) { return t.squeeze(); }
Tensor squeeze(const Tensor& t, int64_t dim) { return t.squeeze(dim); }
Tensor& Tensor::squeeze_() const { return restride_inplace<SqueezeInplace>(self(), std::optional<int64_t>()); }
Tensor& Tensor::squeeze_(int64_t dim) const {
  return restride_inplace<SqueezeDimInplace>(self(), std::optional<int64_t>(dim));
}
Tensor& Tensor::unsqueeze_(int64_t dim) const { return restride_inplace<UnsqueezeInplace>(self(), dim); }

Tensor Tensor::view(IntArrayRef size) const { return autograd::apply<View>(*this, size); }

Tensor Tensor::reshape(IntArrayRef shape) const {
  DimVector s = ops::infer_size(shape, numel());
  if (auto st = view_strides(sizes(), strides(), s))
    return autograd::apply<ReshapeAlias>(*this, IntArrayRef(s), IntArrayRef(*st));
  return autograd::apply<UnsafeView>(clone(), IntArrayRef(s));
}
Tensor reshape(const Tensor& t, IntArrayRef shape) { return t.reshape(shape); }

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  const int64_t s = core::wrap_dim(start_dim, dim()), e = core::wrap_dim(end_dim, dim());
  NABLA_CHECK(s <= e, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (dim() == 0) return reshape({1});
  if (s == e) return *this;
  DimVector shape(sizes().begin(), sizes().begin() + s);
  shape.push_back(prod_sizes(sizes().slice(s, e - s + 1)));
  ops::append(shape, sizes().slice(e + 1));
  return reshape(shape);
}
Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) { return t.flatten(start_dim, end_dim); }

Tensor Tensor::unflatten(int64_t dim, IntArrayRef sizes) const {
  NABLA_CHECK(!sizes.empty(), "unflatten: sizes must be non-empty");
  const int64_t d = core::wrap_dim(dim, this->dim());
  DimVector inferred;
  try {
    inferred = ops::infer_size(sizes, size(d));
  } catch (const Error& e) {
    std::string msg = e.what();
    NABLA_CHECK(msg.find("is invalid for input of size") == std::string::npos, "unflatten: Provided sizes ", sizes,
                " don't multiply up to the size of dim ", d, " (", size(d), ") in the input tensor");
    NABLA_CHECK(false, "unflatten got an unexpected error:\n", msg);
  }
  DimVector shape(this->sizes().begin(), this->sizes().begin() + d);
  ops::append(shape, inferred);
  ops::append(shape, this->sizes().slice(d + 1));
  return view(shape);
}
Tensor unflatten(const Tensor& t, int64_t dim, IntArrayRef sizes) { return t.unflatten(dim, sizes); }

Tensor Tensor::expand(IntArrayRef size, bool) const { return autograd::apply<Expand>(*this, size); }

namespace ops {
Tensor alias(const Tensor& t) { return autograd::apply<Alias>(t); }
}  // namespace ops

std::vector<int64_t> broadcast_shapes(IntArrayRef a, IntArrayRef b) {
  DimVector out;
  try {
    out = core::broadcast_shape(a, b);
  } catch (const Error&) {
    NABLA_CHECK(false, "Shape mismatch: objects cannot be broadcast to a single shape");
  }
  return std::vector<int64_t>(out.begin(), out.end());
}

std::vector<Tensor> broadcast_tensors(TensorList tensors) {
  DimVector shape;
  for (const Tensor& t : tensors) shape = core::broadcast_shape(shape, t.sizes());
  std::vector<Tensor> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(t.sizes() == IntArrayRef(shape) ? t : t.expand(shape));
  return out;
}

}  // namespace nabla
