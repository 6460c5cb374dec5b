// Index ops: index_select, gather, scatter, scatter_add (and the index_add their backward
// uses), tril/triu, one_hot, nonzero, where(condition).
#include <cstring>

#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "nabla/functions.h"
#include "ops/shape_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

// Calls f(offsets, coord) for every coordinate of `shape` (row-major), with offsets[k] the
// element offset of that coordinate under strides[k].
template <size_t K, typename F>
void for_each_coord(IntArrayRef shape, const std::array<DimVector, K>& strides, F&& f) {
  if (prod_sizes(shape) == 0) return;
  const size_t nd = shape.size();
  DimVector coord(nd, 0);
  std::array<int64_t, K> off{};
  while (true) {
    f(off, coord);
    size_t d = nd;
    while (d > 0) {
      --d;
      if (++coord[d] < shape[d]) {
        for (size_t k = 0; k < K; ++k) off[k] += strides[k][d];
        break;
      }
      for (size_t k = 0; k < K; ++k) off[k] -= strides[k][d] * (shape[d] - 1);
      coord[d] = 0;
      if (d == 0) return;
    }
    if (nd == 0) return;
  }
}

// Strides of t for iterating over an index of `nd` dims (missing dims: 0), with dim zeroed.
DimVector strides_without(const Tensor& t, size_t nd, std::optional<int64_t> dim) {
  DimVector s(nd, 0);
  for (size_t d = 0; d < nd && d < static_cast<size_t>(t.dim()); ++d) s[d] = t.stride(static_cast<int64_t>(d));
  if (dim && static_cast<size_t>(*dim) < nd) s[*dim] = 0;
  return s;
}
int64_t size_or_one(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.size(d); }
int64_t stride_or_zero(const Tensor& t, int64_t d) { return t.dim() == 0 ? 0 : t.stride(d); }

// Checks every index value against `size`: "index 3 is out of bounds for dimension 0 with size 3".
void check_index_values(const Tensor& index, int64_t dim, int64_t size) {
  const Tensor idx = index.contiguous();
  const int64_t* p = idx.data_ptr<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i)
    NABLA_CHECK(p[i] >= 0 && p[i] < size, "index ", p[i], " is out of bounds for dimension ", dim, " with size ",
                size);
}

void gather_shape_check(const Tensor& self, int64_t dim, const Tensor& index) {
  NABLA_CHECK(std::max<int64_t>(self.dim(), 1) == std::max<int64_t>(index.dim(), 1),
              "Index tensor must have the same number of dimensions as input tensor");
  for (int64_t d = 0; d < std::max<int64_t>(self.dim(), 1); ++d) {
    if (d == dim) continue;
    NABLA_CHECK(size_or_one(index, d) <= size_or_one(self, d), "Size does not match at dimension ", d,
                " expected index ", index.sizes(), " to be smaller than self ", self.sizes(), " apart from dimension ",
                dim);
  }
}

void scatter_checks(const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src) {
  if (index.numel() == 0) {
    if (src) NABLA_CHECK(self.scalar_type() == src->scalar_type(), "scatter(): Expected self.dtype to be equal to src.dtype");
    return;
  }
  NABLA_CHECK(index.scalar_type() == kLong, "scatter(): Expected dtype int64 for index");
  if (src) NABLA_CHECK(self.scalar_type() == src->scalar_type(), "scatter(): Expected self.dtype to be equal to src.dtype");
  const int64_t nd = std::max<int64_t>(self.dim(), 1);
  NABLA_CHECK(nd == std::max<int64_t>(index.dim(), 1), "Index tensor must have the same number of dimensions as self tensor");
  bool wrong = false;
  for (int64_t d = 0; d < nd && !wrong; ++d)
    if (d != dim && size_or_one(index, d) > size_or_one(self, d)) wrong = true;
  if (!wrong && src)
    for (int64_t d = 0; d < nd && !wrong; ++d)
      if (size_or_one(index, d) > size_or_one(*src, d)) wrong = true;
  if (src)
    NABLA_CHECK(!wrong, "Expected index ", index.sizes(), " to be smaller than self ", self.sizes(),
                " apart from dimension ", dim, " and to be smaller size than src ", src->sizes());
  NABLA_CHECK(!wrong, "Expected index ", index.sizes(), " to be smaller than self ", self.sizes(),
              " apart from dimension ", dim);
}

enum class Reduce { None, Add };

// out (a fresh contiguous copy of self) gets src[i] (or value) written/added at index[i] along dim.
Tensor scatter_kernel(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, Reduce reduce) {
  Tensor out = ops::clone_plain(self);
  if (index.numel() == 0) return out;
  check_index_values(index, dim, size_or_one(self, dim));
  const size_t nd = static_cast<size_t>(index.dim());
  std::array<DimVector, 3> st{strides_without(index, nd, {}), strides_without(out, nd, dim),
                              strides_without(src, nd, {})};
  const int64_t dstride = stride_or_zero(out, dim);
  NABLA_DISPATCH_ALL_TYPES(self.scalar_type(), "scatter", [&] {
    scalar_t* o = out.data_ptr<scalar_t>();
    const scalar_t* s = src.data_ptr<scalar_t>();
    const int64_t* ix = index.data_ptr<int64_t>();
    for_each_coord<3>(index.sizes(), st, [&](const std::array<int64_t, 3>& off, const DimVector&) {
      scalar_t& dst = o[off[1] + ix[off[0]] * dstride];
      if (reduce == Reduce::Add)
        dst = static_cast<scalar_t>(dst + s[off[2]]);
      else
        dst = s[off[2]];
    });
  });
  return out;
}

struct Gather {
  static constexpr const char* name = "GatherBackward0";
  DimVector in_shape;
  int64_t dim = 0;
  Tensor forward(Ctx& ctx, const Tensor& self, int64_t d, const Tensor& index) {
    in_shape = DimVector(self.sizes());
    dim = core::wrap_dim(d, self.dim());
    ctx.save(index);
    Tensor out = core::empty(index.sizes(), self.scalar_type());
    if (index.numel() == 0) return out;
    NABLA_CHECK(index.scalar_type() == kLong, "gather(): Expected dtype int64 for index");
    gather_shape_check(self, dim, index);
    check_index_values(index, dim, size_or_one(self, dim));
    const size_t nd = static_cast<size_t>(index.dim());
    std::array<DimVector, 3> st{strides_without(index, nd, {}), strides_without(self, nd, dim),
                                strides_without(out, nd, {})};
    const int64_t dstride = stride_or_zero(self, dim);
    NABLA_DISPATCH_ALL_TYPES(self.scalar_type(), "gather", [&] {
      const scalar_t* s = self.data_ptr<scalar_t>();
      scalar_t* o = out.data_ptr<scalar_t>();
      const int64_t* ix = index.data_ptr<int64_t>();
      for_each_coord<3>(index.sizes(), st, [&](const std::array<int64_t, 3>& off, const DimVector&) {
        o[off[2]] = s[off[1] + ix[off[0]] * dstride];
      });
    });
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    return {zeros(in_shape, g[0].options()).scatter_add(dim, ctx.saved(0), g[0]), Tensor()};
  }
};

struct Scatter {
  static constexpr const char* name = "ScatterBackward0";
  int64_t dim = 0;
  Tensor forward(Ctx& ctx, const Tensor& self, int64_t d, const Tensor& index, const Tensor& src) {
    dim = core::wrap_dim(d, self.dim());
    scatter_checks(self, dim, index, &src);
    ctx.save(index);
    return scatter_kernel(self, dim, index, src, Reduce::None);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    Tensor index = ctx.saved(0);
    return {g[0].scatter(dim, index, 0), Tensor(), g[0].gather(dim, index)};
  }
};

struct ScatterValue {
  static constexpr const char* name = "ScatterBackward1";
  int64_t dim = 0;
  Tensor forward(Ctx& ctx, const Tensor& self, int64_t d, const Tensor& index, const Scalar& value) {
    dim = core::wrap_dim(d, self.dim());
    scatter_checks(self, dim, index, nullptr);
    ctx.save(index);
    Tensor v = core::empty(index.sizes(), self.scalar_type());
    kernels::fill_(v, value);
    return scatter_kernel(self, dim, index, v, Reduce::None);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) { return {g[0].scatter(dim, ctx.saved(0), 0), Tensor()}; }
};

struct ScatterAdd {
  static constexpr const char* name = "ScatterAddBackward0";
  int64_t dim = 0;
  Tensor forward(Ctx& ctx, const Tensor& self, int64_t d, const Tensor& index, const Tensor& src) {
    dim = core::wrap_dim(d, self.dim());
    scatter_checks(self, dim, index, &src);
    ctx.save(index);
    return scatter_kernel(self, dim, index, src, Reduce::Add);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    return {g[0], Tensor(), g[0].gather(dim, ctx.saved(0))};
  }
};

// Number of [dim:] blocks in a tensor of these sizes (the product of the sizes before dim).
int64_t row_count(IntArrayRef sizes, int64_t dim) { return prod_sizes(sizes.slice(0, static_cast<size_t>(dim))); }

Tensor index_as_long(const Tensor& index) { return index.scalar_type() == kLong ? index : index.to(kLong); }

// zeros-like self with source's slices added at index along dim (the backward of index_select).
struct IndexAdd {
  static constexpr const char* name = "IndexAddBackward0";
  int64_t dim = 0;
  Tensor forward(Ctx& ctx, const Tensor& self, int64_t d, const Tensor& index, const Tensor& source) {
    dim = ops::wrap_dim_strict(d, self.dim());
    ctx.save(index);
    Tensor out = ops::clone_plain(self);
    const Tensor idx = index_as_long(index).contiguous();
    const Tensor src = source.contiguous();
    const int64_t* ix = idx.data_ptr<int64_t>();
    const int64_t n = out.size(dim), k = idx.numel();
    const int64_t outer = row_count(out.sizes(), dim), inner = prod_sizes(out.sizes().slice(dim + 1));
    NABLA_DISPATCH_ALL_TYPES(out.scalar_type(), "index_add", [&] {
      scalar_t* o = out.data_ptr<scalar_t>();
      const scalar_t* x = src.data_ptr<scalar_t>();
      for (int64_t a = 0; a < outer; ++a)
        for (int64_t j = 0; j < k; ++j) {
          scalar_t* dst = o + (a * n + ix[j]) * inner;
          const scalar_t* from = x + (a * k + j) * inner;
          for (int64_t i = 0; i < inner; ++i) dst[i] = static_cast<scalar_t>(dst[i] + from[i]);
        }
    });
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    return {g[0], Tensor(), g[0].index_select(dim, ctx.saved(0))};
  }
};

struct IndexSelect {
  static constexpr const char* name = "IndexSelectBackward0";
  DimVector in_shape;
  int64_t dim = 0;
  Tensor forward(Ctx& ctx, const Tensor& self, int64_t d, const Tensor& index) {
    in_shape = DimVector(self.sizes());
    dim = core::wrap_dim(d, self.dim());
    NABLA_CHECK(index.dim() <= 1, "index_select(): Index is supposed to be a vector");
    NABLA_CHECK(index.scalar_type() == kLong || index.scalar_type() == kInt,
                "index_select(): Expected dtype int32 or int64 for index");
    ctx.save(index);
    const Tensor idx = index_as_long(index).contiguous();
    const int64_t* ix = idx.data_ptr<int64_t>();
    const int64_t n = size_or_one(self, dim);
    for (int64_t k = 0; k < idx.numel(); ++k) NABLA_CHECK(ix[k] >= 0 && ix[k] < n, "index out of range in self");
    if (self.dim() == 0) return ops::clone_plain(self);
    DimVector shape(self.sizes());
    shape[dim] = idx.numel();
    Tensor out = core::empty(shape, self.scalar_type());
    const Tensor src = self.contiguous();
    // Rows of `inner` elements: out[a, j, :] = src[a, ix[j], :].
    const int64_t k = idx.numel(), outer = row_count(shape, dim),
                  inner = prod_sizes(IntArrayRef(shape).slice(dim + 1));
    const size_t row = static_cast<size_t>(inner) * src.element_size();
    const char* from = static_cast<const char*>(src.data_ptr());
    char* to = static_cast<char*>(out.data_ptr());
    for (int64_t a = 0; a < outer && row > 0; ++a)
      for (int64_t j = 0; j < k; ++j)
        std::memcpy(to + static_cast<size_t>(a * k + j) * row, from + static_cast<size_t>(a * n + ix[j]) * row, row);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    Tensor zero = zeros(in_shape, g[0].options());
    return {autograd::apply<IndexAdd>(zero, dim, ctx.saved(0), g[0]), Tensor()};
  }
};

// tril (keep j - i <= k) and triu (keep j - i >= k) over the last two dims.
template <bool Lower>
Tensor triangle(const Tensor& t, int64_t k) {
  ops::wrap_dim_strict(-2, t.dim());  // at least two dims, with PyTorch's messages
  Tensor out = ops::clone_plain(t);
  const int64_t rows = t.size(-2), cols = t.size(-1);
  const int64_t batch = rows * cols == 0 ? 0 : out.numel() / (rows * cols);
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "tril", [&] {
    scalar_t* p = out.data_ptr<scalar_t>();
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          const bool keep = Lower ? j - i <= k : j - i >= k;
          if (!keep) p[(b * rows + i) * cols + j] = scalar_t(0);
        }
  });
  return out;
}

struct Tril {
  static constexpr const char* name = "TrilBackward0";
  int64_t k = 0;
  Tensor forward(Ctx&, const Tensor& t, int64_t diagonal) {
    k = diagonal;
    return triangle<true>(t, k);
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].tril(k)}; }
};

struct Triu {
  static constexpr const char* name = "TriuBackward0";
  int64_t k = 0;
  Tensor forward(Ctx&, const Tensor& t, int64_t diagonal) {
    k = diagonal;
    return triangle<false>(t, k);
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].triu(k)}; }
};

}  // namespace

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const {
  return autograd::apply<IndexSelect>(*this, dim, index);
}
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index) { return t.index_select(dim, index); }

Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return autograd::apply<Gather>(*this, dim, index); }
Tensor gather(const Tensor& t, int64_t dim, const Tensor& index) { return t.gather(dim, index); }

Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return autograd::apply<Scatter>(*this, dim, index, src);
}
Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Scalar& value) const {
  return autograd::apply<ScatterValue>(*this, dim, index, value);
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) const {
  return autograd::apply_inplace<Scatter>(self(), dim, index, src);
}
Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Scalar& value) const {
  return autograd::apply_inplace<ScatterValue>(self(), dim, index, value);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return autograd::apply<ScatterAdd>(*this, dim, index, src);
}
Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) const {
  return autograd::apply_inplace<ScatterAdd>(self(), dim, index, src);
}
Tensor scatter(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) { return t.scatter(dim, index, src); }
Tensor scatter(const Tensor& t, int64_t dim, const Tensor& index, const Scalar& value) {
  return t.scatter(dim, index, value);
}
Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  return t.scatter_add(dim, index, src);
}

Tensor Tensor::tril(int64_t diagonal) const { return autograd::apply<Tril>(*this, diagonal); }
Tensor Tensor::triu(int64_t diagonal) const { return autograd::apply<Triu>(*this, diagonal); }
Tensor& Tensor::tril_(int64_t diagonal) const { return autograd::apply_inplace<Tril>(self(), diagonal); }
Tensor& Tensor::triu_(int64_t diagonal) const { return autograd::apply_inplace<Triu>(self(), diagonal); }
Tensor tril(const Tensor& t, int64_t diagonal) { return t.tril(diagonal); }
Tensor triu(const Tensor& t, int64_t diagonal) { return t.triu(diagonal); }

Tensor one_hot(const Tensor& t, int64_t num_classes) {
  NABLA_CHECK(t.scalar_type() == kLong, "one_hot is only applicable to index tensor.");
  DimVector shape(t.sizes());
  if (t.numel() == 0) {
    NABLA_CHECK(num_classes > 0, "Can not infer total number of classes from empty tensor.");
    shape.push_back(num_classes);
    return zeros(shape, kLong);
  }
  const Tensor src = t.contiguous();
  const int64_t* p = src.data_ptr<int64_t>();
  const int64_t lo = *std::min_element(p, p + src.numel()), hi = *std::max_element(p, p + src.numel());
  NABLA_CHECK(lo >= 0, "Class values must be non-negative.");
  if (num_classes == -1)
    num_classes = hi + 1;
  else
    NABLA_CHECK(num_classes > hi, "Class values must be smaller than num_classes.");
  shape.push_back(num_classes);
  Tensor out = zeros(shape, kLong);
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < src.numel(); ++i) o[i * num_classes + p[i]] = 1;
  return out;
}

Tensor nonzero(const Tensor& t) {
  const size_t nd = static_cast<size_t>(t.dim());
  std::vector<int64_t> coords;
  int64_t n = 0;
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "nonzero", [&] {
    const scalar_t* p = static_cast<const scalar_t*>(t.data_ptr());
    std::array<DimVector, 1> st{DimVector(t.strides())};
    for_each_coord<1>(t.sizes(), st, [&](const std::array<int64_t, 1>& off, const DimVector& c) {
      if (p[off[0]] == scalar_t(0)) return;
      coords.insert(coords.end(), c.begin(), c.end());
      ++n;
    });
  });
  Tensor out = core::empty({n, static_cast<int64_t>(nd)}, kLong);
  std::copy(coords.begin(), coords.end(), out.data_ptr<int64_t>());
  return out;
}
Tensor Tensor::nonzero() const { return nabla::nonzero(*this); }

std::vector<Tensor> where(const Tensor& condition) {
  if (condition.dim() == 0) return condition.unsqueeze(0).nonzero().unbind(1);
  return condition.nonzero().unbind(1);
}

}  // namespace nabla
