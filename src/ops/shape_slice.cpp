// Views of parts of a tensor: slice, narrow, select, split, split_with_sizes, chunk, unbind;
// with the "embed into zeros" ops their backward uses (their own backward slices again, so
// higher-order gradients work).
#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "nabla/functions.h"
#include "ops/shape_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

// Elements start, start+step, ... < end of dim (bounds already clamped): a view.
Tensor slice_view(const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  DimVector sizes(t.sizes()), strides(t.strides());
  const int64_t len = end - start;
  sizes[dim] = len <= 0 ? 0 : (len - 1) / step + 1;
  strides[dim] = t.stride(dim) * step;
  return core::alias_with(t, sizes, strides, t.storage_offset() + start * t.stride(dim));
}

Tensor select_view(const Tensor& t, int64_t dim, int64_t index) {
  DimVector sizes(t.sizes()), strides(t.strides());
  sizes.erase(sizes.begin() + dim);
  strides.erase(strides.begin() + dim);
  return core::alias_with(t, sizes, strides, t.storage_offset() + index * t.stride(dim));
}

Tensor zeros_of(IntArrayRef shape, ScalarType dtype) {
  Tensor out = core::empty(shape, dtype);
  kernels::fill_(out, 0);
  return out;
}

// Backward of slice: g placed into zeros of the input's shape.
struct SliceBackwardOp {
  static constexpr const char* name = "SliceBackwardBackward0";
  int64_t dim = 0, start = 0, end = 0, step = 1;
  Tensor forward(Ctx&, const Tensor& g, IntArrayRef in_shape, int64_t d, int64_t s, int64_t e, int64_t st) {
    dim = d, start = s, end = e, step = st;
    Tensor out = zeros_of(in_shape, g.scalar_type());
    kernels::copy_(slice_view(out, dim, start, end, step), g);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].slice(dim, start, end, step)}; }
};

struct SelectBackwardOp {
  static constexpr const char* name = "SelectBackwardBackward0";
  int64_t dim = 0, index = 0;
  Tensor forward(Ctx&, const Tensor& g, IntArrayRef in_shape, int64_t d, int64_t i) {
    dim = d, index = i;
    Tensor out = zeros_of(in_shape, g.scalar_type());
    kernels::copy_(select_view(out, dim, index), g);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].select(dim, index)}; }
};

struct Slice {
  static constexpr const char* name = "SliceBackward0";
  static constexpr bool is_view = true;
  DimVector in_shape;
  int64_t dim = 0, start = 0, end = 0, step = 1;
  Tensor forward(Ctx&, const Tensor& t, int64_t d, std::optional<int64_t> s, std::optional<int64_t> e, int64_t st) {
    NABLA_CHECK(t.dim() > 0, "slice() cannot be applied to a 0-dim tensor.");
    NABLA_CHECK(st > 0, "slice step must be positive");
    in_shape = DimVector(t.sizes());
    dim = core::wrap_dim(d, t.dim());
    const int64_t size = t.size(dim);
    start = s.value_or(0);
    end = e.value_or(size);
    if (start < 0) start += size;
    if (end < 0) end += size;
    start = std::clamp<int64_t>(start, 0, size);
    end = std::clamp<int64_t>(end, start, size);
    step = st;
    return slice_view(t, dim, start, end, step);
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {autograd::apply<SliceBackwardOp>(g[0], IntArrayRef(in_shape), dim, start, end, step)};
  }
};

struct Select {
  static constexpr const char* name = "SelectBackward0";
  static constexpr bool is_view = true;
  DimVector in_shape;
  int64_t dim = 0, index = 0;
  Tensor forward(Ctx&, const Tensor& t, int64_t d, int64_t i) {
    NABLA_CHECK(t.dim() > 0, "select() cannot be applied to a 0-dim tensor.");
    in_shape = DimVector(t.sizes());
    dim = core::wrap_dim(d, t.dim());
    const int64_t size = t.size(dim);
    NABLA_CHECK(i >= -size && i < size, "select(): index ", i, " out of range for tensor of size ", t.sizes(),
                " at dimension ", dim);
    index = i < 0 ? i + size : i;
    return select_view(t, dim, index);
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {autograd::apply<SelectBackwardOp>(g[0], IntArrayRef(in_shape), dim, index)};
  }
};

// Gradients of the pieces of a split, zeros for the pieces that got none, joined again.
std::vector<Tensor> fill_missing(const variable_list& g, IntArrayRef in_shape, int64_t dim, IntArrayRef sizes,
                                 bool keep_dim) {
  ScalarType dtype = kFloat;
  for (const auto& x : g)
    if (x.defined()) dtype = x.scalar_type();
  std::vector<Tensor> parts;
  for (size_t i = 0; i < g.size(); ++i) {
    if (g[i].defined()) {
      parts.push_back(g[i]);
      continue;
    }
    DimVector shape(in_shape);
    if (keep_dim)
      shape[dim] = sizes[i];
    else
      shape.erase(shape.begin() + dim);
    parts.push_back(zeros(shape, TensorOptions(dtype)));
  }
  return parts;
}

// split(split_size) (SplitBackward0) and split_with_sizes (SplitWithSizesBackward0).
struct SplitWithSizes {
  static constexpr const char* name = "SplitWithSizesBackward0";
  static constexpr bool is_view = true;
  DimVector in_shape, sizes;
  int64_t dim = 0;
  std::vector<Tensor> forward(Ctx&, const Tensor& t, IntArrayRef split_sizes, int64_t d) {
    NABLA_CHECK(t.dim() != 0, "split expects at least a 1-dimensional tensor");
    in_shape = DimVector(t.sizes());
    dim = core::wrap_dim(d, t.dim());
    sizes = DimVector(split_sizes);
    int64_t total = 0;
    for (int64_t s : split_sizes) {
      NABLA_CHECK(s >= 0, "split_with_sizes expects split_sizes have only non-negative entries, but got "
                          "split_sizes=", split_sizes);
      total += s;
    }
    NABLA_CHECK(total == t.size(dim), "split_with_sizes expects split_sizes to sum exactly to ", t.size(dim),
                " (input tensor's size at dimension ", dim, "), but got split_sizes=", split_sizes);
    std::vector<Tensor> out;
    int64_t start = 0;
    for (int64_t s : split_sizes) {
      out.push_back(slice_view(t, dim, start, start + s, 1));
      start += s;
    }
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {cat(fill_missing(g, in_shape, dim, sizes, true), dim)};
  }
};
struct Split : SplitWithSizes {
  static constexpr const char* name = "SplitBackward0";
};

struct Unbind {
  static constexpr const char* name = "UnbindBackward0";
  static constexpr bool is_view = true;
  DimVector in_shape;
  int64_t dim = 0;
  std::vector<Tensor> forward(Ctx&, const Tensor& t, int64_t d) {
    in_shape = DimVector(t.sizes());
    dim = ops::wrap_dim_strict(d, t.dim());
    std::vector<Tensor> out;
    for (int64_t i = 0; i < t.size(dim); ++i) out.push_back(select_view(t, dim, i));
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {stack(fill_missing(g, in_shape, dim, {}, false), dim)};
  }
};

// The piece sizes of split(split_size) along a dim of size n, with PyTorch's checks.
DimVector split_sizes_for(const Tensor& t, int64_t split_size, int64_t dim) {
  NABLA_CHECK(t.dim() != 0, "split expects at least a 1-dimensional tensor");
  NABLA_CHECK(split_size >= 0, "split expects split_size be non-negative, but got split_size=", split_size);
  const int64_t n = t.size(dim);
  NABLA_CHECK(split_size != 0 || n == 0, "split_size can only be 0 if dimension size is 0, but got dimension size of ",
              n);
  const int64_t pieces = split_size == 0 ? 1 : std::max<int64_t>((n + split_size - 1) / split_size, 1);
  DimVector sizes(pieces, split_size);
  sizes.back() = n - split_size * (pieces - 1);
  return sizes;
}

}  // namespace

Tensor Tensor::slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) const {
  return autograd::apply<Slice>(*this, dim, start, end, step);
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  NABLA_CHECK(this->dim() > 0, "narrow() cannot be applied to a 0-dim tensor.");
  const int64_t d = core::wrap_dim(dim, this->dim());
  const int64_t size = this->size(d);
  if (start != size) start = core::wrap_dim(start, size);
  NABLA_CHECK(length >= 0 && start <= size - length, "start (", start, ") + length (", length,
              ") exceeds dimension size (", size, ").");
  return slice(d, start, start + length, 1);
}
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) { return t.narrow(dim, start, length); }

Tensor Tensor::select(int64_t dim, int64_t index) const { return autograd::apply<Select>(*this, dim, index); }
Tensor select(const Tensor& t, int64_t dim, int64_t index) { return t.select(dim, index); }

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t dim) const {
  const int64_t d = this->dim() == 0 ? dim : core::wrap_dim(dim, this->dim());
  DimVector sizes = split_sizes_for(*this, split_size, d);
  return autograd::apply<Split>(*this, IntArrayRef(sizes), d);
}
std::vector<Tensor> Tensor::split_with_sizes(IntArrayRef split_sizes, int64_t dim) const {
  return autograd::apply<SplitWithSizes>(*this, split_sizes, dim);
}
std::vector<Tensor> Tensor::split(IntArrayRef split_sizes, int64_t dim) const {
  return split_with_sizes(split_sizes, dim);
}
std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim) { return t.split(split_size, dim); }
std::vector<Tensor> split(const Tensor& t, IntArrayRef split_sizes, int64_t dim) { return t.split(split_sizes, dim); }

std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t dim) const {
  NABLA_CHECK(this->dim() > 0, "chunk expects at least a 1-dimensional tensor");
  NABLA_CHECK(chunks > 0, "chunk expects `chunks` to be greater than 0, got: ", chunks);
  const int64_t d = core::wrap_dim(dim, this->dim());
  const int64_t n = size(d);
  const int64_t split_size = (n + chunks - 1) / chunks;
  // An empty dim still gives `chunks` (empty) pieces.
  if (split_size == 0 && n == 0) return split_with_sizes(DimVector(chunks, 0), d);
  return split(split_size, d);
}
std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim) { return t.chunk(chunks, dim); }

std::vector<Tensor> Tensor::unbind(int64_t dim) const { return autograd::apply<Unbind>(*this, dim); }
std::vector<Tensor> unbind(const Tensor& t, int64_t dim) { return t.unbind(dim); }

}  // namespace nabla
