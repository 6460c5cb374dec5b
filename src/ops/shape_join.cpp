// Ops that join or rearrange whole tensors into new memory: cat, cat_out, stack, repeat, flip.
#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "nabla/functions.h"
#include "ops/elementwise_common.h"
#include "ops/shape_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

// PyTorch still lets 1-D empty tensors of shape [0] join any cat (they are skipped).
bool skipped_in_cat(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

struct CatPlan {
  DimVector shape;
  int64_t dim = 0;
  ScalarType dtype = kFloat;
};

CatPlan plan_cat(TensorList ts, int64_t dim) {
  NABLA_CHECK(!ts.empty(), "torch.cat(): expected a non-empty list of Tensors");
  CatPlan p;
  p.dtype = ts[0].scalar_type();
  for (size_t i = 0; i < ts.size(); ++i) {
    NABLA_CHECK(ts[i].dim() > 0, "zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    p.dtype = promoteTypes(p.dtype, ts[i].scalar_type());
  }
  const Tensor* ref = nullptr;
  for (const Tensor& t : ts)
    if (!skipped_in_cat(t)) {
      ref = &t;
      break;
    }
  if (!ref) {
    p.dim = core::wrap_dim(dim, ts[0].dim());
    p.shape = {0};
    return p;
  }
  p.dim = core::wrap_dim(dim, ref->dim());
  p.shape = DimVector(ref->sizes());
  p.shape[p.dim] = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    if (skipped_in_cat(t)) continue;
    NABLA_CHECK(t.dim() == ref->dim(), "Tensors must have same number of dimensions: got ", ref->dim(), " and ",
                t.dim());
    for (int64_t d = 0; d < t.dim(); ++d) {
      if (d == p.dim) continue;
      NABLA_CHECK(t.size(d) == ref->size(d), "Sizes of tensors must match except in dimension ", p.dim,
                  ". Expected size ", ref->size(d), " but got size ", t.size(d), " for tensor number ", i,
                  " in the list.");
    }
    p.shape[p.dim] += t.size(p.dim);
  }
  return p;
}

Tensor cat_kernel(TensorList ts, const CatPlan& p) {
  Tensor out = core::empty(p.shape, p.dtype);
  int64_t offset = 0;
  for (const Tensor& t : ts) {
    if (skipped_in_cat(t)) continue;
    const int64_t n = t.size(p.dim);
    DimVector sizes(out.sizes());
    sizes[p.dim] = n;
    kernels::copy_(core::alias_with(out, sizes, out.strides(), offset * out.stride(p.dim)), t);
    offset += n;
  }
  return out;
}

struct Cat {
  static constexpr const char* name = "CatBackward0";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  DimVector sizes;  // size of each input along dim; -1 for skipped inputs
  int64_t dim = 0;
  Tensor forward(Ctx&, TensorList ts, int64_t d) {
    CatPlan p = plan_cat(ts, d);
    dim = p.dim;
    for (const Tensor& t : ts) sizes.push_back(skipped_in_cat(t) ? -1 : t.size(dim));
    return cat_kernel(ts, p);
  }
  variable_list backward(Ctx&, const variable_list& g) {
    variable_list out;
    int64_t offset = 0;
    for (int64_t n : sizes) {
      if (n < 0) {
        out.push_back(zeros({0}, g[0].options()));
        continue;
      }
      out.push_back(g[0].narrow(dim, offset, n));
      offset += n;
    }
    return out;
  }
};

struct Stack {
  static constexpr const char* name = "StackBackward0";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  int64_t dim = 0;
  Tensor forward(Ctx&, TensorList ts, int64_t d) {
    NABLA_CHECK(!ts.empty(), "stack expects a non-empty TensorList");
    dim = core::wrap_dim(d, ts[0].dim() + 1);
    ScalarType dtype = ts[0].scalar_type();
    for (size_t i = 0; i < ts.size(); ++i) {
      NABLA_CHECK(ts[i].sizes() == ts[0].sizes(), "stack expects each tensor to be equal size, but got ",
                  ts[0].sizes(), " at entry 0 and ", ts[i].sizes(), " at entry ", i);
      dtype = promoteTypes(dtype, ts[i].scalar_type());
    }
    DimVector shape(ts[0].sizes());
    shape.insert(shape.begin() + dim, static_cast<int64_t>(ts.size()));
    Tensor out = core::empty(shape, dtype);
    DimVector sizes(ts[0].sizes()), strides(out.strides());
    strides.erase(strides.begin() + dim);
    for (size_t i = 0; i < ts.size(); ++i)
      kernels::copy_(core::alias_with(out, sizes, strides, static_cast<int64_t>(i) * out.stride(dim)), ts[i]);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return g[0].unbind(dim); }
};

// Sizes of t padded with leading 1s to n dims.
DimVector padded_sizes(const Tensor& t, size_t n) {
  DimVector p(n - static_cast<size_t>(t.dim()), 1);
  ops::append(p, t.sizes());
  return p;
}

struct Repeat {
  static constexpr const char* name = "RepeatBackward0";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  DimVector in_shape, repeats;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef reps) {
    NABLA_CHECK(static_cast<int64_t>(reps.size()) >= t.dim(),
                "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
    in_shape = DimVector(t.sizes());
    repeats = DimVector(reps);
    const size_t n = reps.size();
    DimVector padded = padded_sizes(t, n), target(n);
    for (size_t i = 0; i < n; ++i) target[i] = padded[i] * reps[i];
    Tensor out = core::empty(target, t.scalar_type());
    // out seen as [r0, p0, r1, p1, ...]; the input as [1, p0, 1, p1, ...] broadcast into it.
    DimVector osz, ost, isz, ist;
    const size_t lead = n - static_cast<size_t>(t.dim());
    for (size_t i = 0; i < n; ++i) {
      osz.push_back(reps[i]);
      osz.push_back(padded[i]);
      ost.push_back(padded[i] * out.stride(static_cast<int64_t>(i)));
      ost.push_back(out.stride(static_cast<int64_t>(i)));
      isz.push_back(1);
      isz.push_back(padded[i]);
      ist.push_back(0);
      ist.push_back(i < lead ? 0 : t.stride(static_cast<int64_t>(i - lead)));
    }
    kernels::copy_(core::alias_with(out, osz, ost, 0), core::alias_with(t, isz, ist, t.storage_offset()));
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) {
    if (repeats.empty()) return {g[0]};
    DimVector shape, dims;
    DimVector padded(repeats.size() - in_shape.size(), 1);
    ops::append(padded, in_shape);
    for (size_t i = 0; i < repeats.size(); ++i) {
      dims.push_back(static_cast<int64_t>(shape.size()));
      shape.push_back(repeats[i]);
      shape.push_back(padded[i]);
    }
    return {g[0].reshape(shape).sum(dims).reshape(in_shape)};
  }
};

struct Flip {
  static constexpr const char* name = "FlipBackward0";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  DimVector dims;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef d) {
    dims = core::wrap_dims(d, t.dim());
    DimVector strides(t.strides());
    int64_t offset = t.storage_offset();
    for (int64_t k : dims) {
      if (t.dim() == 0 || t.size(k) == 0) continue;
      offset += (t.size(k) - 1) * strides[k];
      strides[k] = -strides[k];
    }
    Tensor out = core::empty(t.sizes(), t.scalar_type());
    kernels::copy_(out, core::alias_with(t, t.sizes(), strides, offset));
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].flip(dims)}; }
};

bool overlaps(const Tensor& a, const Tensor& b) {
  if (a.numel() == 0 || b.numel() == 0 || a.impl()->storage() != b.impl()->storage()) return false;
  auto range = [](const Tensor& t) {
    int64_t lo = t.storage_offset(), hi = t.storage_offset();
    for (int64_t d = 0; d < t.dim(); ++d) {
      const int64_t span = (t.size(d) - 1) * t.stride(d);
      (span < 0 ? lo : hi) += span;
    }
    const int64_t es = static_cast<int64_t>(t.element_size());
    return std::pair<int64_t, int64_t>(lo * es, (hi + 1) * es);
  };
  auto [alo, ahi] = range(a);
  auto [blo, bhi] = range(b);
  return alo < bhi && blo < ahi;
}

}  // namespace

Tensor cat(TensorList tensors, int64_t dim) { return autograd::apply<Cat>(tensors, dim); }
Tensor stack(TensorList tensors, int64_t dim) { return autograd::apply<Stack>(tensors, dim); }

Tensor& cat_out(Tensor& out, TensorList tensors, int64_t dim) {
  if (GradMode::is_enabled()) {
    bool any = out.requires_grad();
    for (const Tensor& t : tensors) any = any || t.requires_grad();
    NABLA_CHECK(!any, "cat(): functions with out=... arguments don't support automatic differentiation, but one "
                      "of the arguments requires grad.");
  }
  CatPlan p = plan_cat(tensors, dim);
  NABLA_CHECK(core::can_cast(p.dtype, out.scalar_type()),
              "torch.cat(): input types can't be cast to the desired output type ", scalarTypeName(out.scalar_type()));
  for (const Tensor& t : tensors)
    NABLA_CHECK(!overlaps(t, out), "unsupported operation: some elements of the input tensor and the written-to "
                                   "tensor refer to a single memory location. Please clone() the tensor before "
                                   "performing the operation.");
  return ops::write_out(out, cat_kernel(tensors, p));
}

Tensor Tensor::repeat(IntArrayRef repeats) const { return autograd::apply<Repeat>(*this, repeats); }
Tensor Tensor::flip(IntArrayRef dims) const { return autograd::apply<Flip>(*this, dims); }
Tensor flip(const Tensor& t, IntArrayRef dims) { return t.flip(dims); }

}  // namespace nabla
