// Reductions that select: max, min (whole tensor, or with a dim → values and indices),
// argmax, argmin, amax, amin; and the scatter/gather pair their backward uses.
#include "ops/reduce_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

template <typename T>
inline bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  else return false;
}

// The running max (or min) and its first index; NaN wins and the first NaN is kept, as in
// PyTorch. idx < 0 means no element seen yet.
template <typename T, bool IsMax>
struct Best {
  T v{};
  int64_t idx = -1;
};

template <typename T, bool IsMax>
struct SelectReducer {
  using acc_t = Best<T, IsMax>;
  T* values;         // may be null
  int64_t* indices;  // may be null
  static bool better(T x, T cur) {
    if (is_nan(cur)) return false;
    if (is_nan(x)) return true;
    return IsMax ? x > cur : x < cur;
  }
  acc_t init(int64_t) const { return {}; }
  void step(acc_t& a, T x, int64_t i) const {
    if (a.idx < 0 || better(x, a.v)) {
      a.v = x;
      a.idx = i;
    }
  }
  void combine(acc_t& a, const acc_t& b) const {
    if (b.idx >= 0 && (a.idx < 0 || better(b.v, a.v))) a = b;
  }
  void store(int64_t o, const acc_t& a) const {
    if (values) values[o] = a.v;
    if (indices) indices[o] = a.idx;
  }
};

// Values (dtype of t) and/or int64 indices of the max or min over dims.
std::tuple<Tensor, Tensor> select_kernel(const Tensor& t, IntArrayRef dims, bool keepdim, bool is_max, bool want_values,
                                         bool want_indices) {
  if (isNarrowType(t.scalar_type())) {  // argmax's path (Note [Narrow dtypes compute wide])
    auto [v, i] = select_kernel(kernels::to_dtype(t, computeType(t.scalar_type())), dims, keepdim, is_max, want_values,
                                want_indices);
    return {v.defined() ? kernels::to_dtype(v, t.scalar_type()) : v, i};
  }
  auto g = kernels::reduce_geom(t, dims, keepdim);
  Tensor values = want_values ? core::empty(g.out_shape, t.scalar_type()) : Tensor();
  Tensor indices = want_indices ? core::empty(g.out_shape, kLong) : Tensor();
  int64_t* ip = want_indices ? indices.data_ptr<int64_t>() : nullptr;
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "max", [&] {
    scalar_t* vp = want_values ? values.data_ptr<scalar_t>() : nullptr;
    if (is_max) kernels::reduce<scalar_t>(g, SelectReducer<scalar_t, true>{vp, ip});
    else kernels::reduce<scalar_t>(g, SelectReducer<scalar_t, false>{vp, ip});
  });
  return {values, indices};
}

void check_nonempty_all(const Tensor& t, const char* op, bool hint) {
  NABLA_CHECK(t.numel() != 0, op, "(): Expected reduction dim to be specified for input.numel() == 0.",
              hint ? " Specify the reduction dim with the 'dim' argument." : "");
}
void check_nonempty_dims(const Tensor& t, IntArrayRef dims, const char* op) {
  if (t.dim() == 0) return;
  for (int64_t d : dims)
    NABLA_CHECK(t.size(d) != 0, op, "(): Expected reduction dim ", d, " to have non-zero size.");
}

// Gradient split evenly among the elements equal to the result (the NaNs when it is NaN).
Tensor evenly_distribute(const Tensor& g, const Tensor& x, const Tensor& result) {
  const bool nan = std::isnan(result.item<double>());
  Tensor mask = ops::map2_const(x, result, [nan](double v, double r) { return (nan ? std::isnan(v) : v == r) ? 1.0 : 0.0; });
  return ops::masked_scale(g, mask / mask.sum());
}

template <bool IsMax>
struct SelectAll {
  static constexpr const char* name = IsMax ? "MaxBackward1" : "MinBackward1";
  Tensor forward(Ctx& ctx, const Tensor& t) {
    check_nonempty_all(t, IsMax ? "max" : "min", true);
    Tensor out = std::get<0>(select_kernel(t, kernels::all_dims(t), false, IsMax, true, false));
    ctx.save(t);
    ctx.save_output(out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, result] = ctx.saved<2>();
    return {evenly_distribute(g[0], x, result)};
  }
};

template <bool IsMax>
struct SelectDim {
  static constexpr const char* name = IsMax ? "MaxBackward0" : "MinBackward0";
  int64_t dim = 0;
  bool keepdim = false;
  DimVector in_shape;
  Tensor indices;
  std::tuple<Tensor, Tensor> forward(Ctx&, const Tensor& t, int64_t dim_, bool keepdim_) {
    dim = core::wrap_dim(dim_, t.dim());
    keepdim = keepdim_;
    in_shape = DimVector(t.sizes());
    DimVector dims = t.dim() == 0 ? DimVector() : DimVector{dim};
    check_nonempty_dims(t, dims, IsMax ? "max" : "min");
    auto out = select_kernel(t, dims, keepdim, IsMax, true, true);
    indices = std::get<1>(out);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) {
    if (!g[0].defined()) return {Tensor()};
    if (in_shape.empty()) return {g[0]};
    return {ops::index_scatter(ops::restore_reduced(g[0], {dim}, keepdim), ops::restore_reduced(indices, {dim}, keepdim),
                               dim, in_shape)};
  }
};

template <bool IsMax>
struct SelectAmax {
  static constexpr const char* name = IsMax ? "AmaxBackward0" : "AminBackward0";
  DimVector dims;
  bool keepdim = false;
  Tensor forward(Ctx& ctx, const Tensor& t, IntArrayRef dim, bool keepdim_) {
    const char* op = IsMax ? "amax" : "amin";
    if (dim.empty()) check_nonempty_all(t, op, true);
    dims = ops::reduction_dims(t, dim);
    check_nonempty_dims(t, dims, op);
    keepdim = keepdim_;
    Tensor out = std::get<0>(select_kernel(t, dims, keepdim, IsMax, true, false));
    ctx.save(t);
    ctx.save_output(out);
    return out;
  }
  // The gradient is split evenly among the elements equal to the result in each slice.
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, result] = ctx.saved<2>();
    Tensor r = ops::restore_reduced(result, dims, keepdim);
    Tensor mask = ops::map2_const(x, r, [](double v, double m) { return v == m ? 1.0 : 0.0; });
    return {ops::masked_scale(ops::restore_reduced(g[0], dims, keepdim), mask / mask.sum(dims, true))};
  }
};

Tensor arg_select(const Tensor& t, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* op = is_max ? "argmax" : "argmin";
  NABLA_CHECK(t.scalar_type() != kBool, "\"", op, "_cpu\" not implemented for 'Bool'");
  if (!dim) {
    check_nonempty_all(t, op, false);
    return std::get<1>(select_kernel(t, kernels::all_dims(t), keepdim, is_max, false, true));
  }
  const int64_t d = core::wrap_dim(*dim, t.dim());
  DimVector dims = t.dim() == 0 ? DimVector() : DimVector{d};
  check_nonempty_dims(t, dims, op);
  return std::get<1>(select_kernel(t, dims, keepdim, is_max, false, true));
}

// Gradients of the selecting reductions: `g` (size 1 at dim) scattered into zeros at `idx`
// along dim, and its adjoint, the gather.
struct IndexGather;
struct IndexScatter {
  static constexpr const char* name = "ScatterBackward0";
  int64_t dim = 0;
  Tensor idx;
  Tensor forward(Ctx&, const Tensor& g, const Tensor& idx_, int64_t dim_, IntArrayRef shape) {
    dim = dim_;
    idx = idx_;
    Tensor out = core::empty(shape, g.scalar_type());
    kernels::fill_(out, 0);
    const auto l = kernels::dim_layout(shape, dim);
    Tensor gc = kernels::to_dtype(g, g.scalar_type()), ic = kernels::to_dtype(idx, kLong);
    const int64_t* ip = ic.data_ptr<int64_t>();
    NABLA_DISPATCH_FLOATING_TYPES(g.scalar_type(), "scatter", [&] {
      const scalar_t* gp = gc.data_ptr<scalar_t>();
      scalar_t* op = out.data_ptr<scalar_t>();
      for (int64_t a = 0; a < l.outer; ++a)
        for (int64_t k = 0; k < l.inner; ++k)
          op[(a * l.n + ip[a * l.inner + k]) * l.inner + k] = gp[a * l.inner + k];
    });
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g);
};

struct IndexGather {
  static constexpr const char* name = "GatherBackward0";
  int64_t dim = 0;
  DimVector shape;
  Tensor idx;
  Tensor forward(Ctx&, const Tensor& full, const Tensor& idx_, int64_t dim_) {
    dim = dim_;
    idx = idx_;
    shape = DimVector(full.sizes());
    Tensor out = core::empty(idx.sizes(), full.scalar_type());
    const auto l = kernels::dim_layout(shape, dim);
    Tensor fc = kernels::to_dtype(full, full.scalar_type()), ic = kernels::to_dtype(idx, kLong);
    const int64_t* ip = ic.data_ptr<int64_t>();
    NABLA_DISPATCH_FLOATING_TYPES(full.scalar_type(), "gather", [&] {
      const scalar_t* fp = fc.data_ptr<scalar_t>();
      scalar_t* op = out.data_ptr<scalar_t>();
      for (int64_t a = 0; a < l.outer; ++a)
        for (int64_t k = 0; k < l.inner; ++k)
          op[a * l.inner + k] = fp[(a * l.n + ip[a * l.inner + k]) * l.inner + k];
    });
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {ops::index_scatter(g[0], idx, dim, shape), Tensor()};
  }
};

variable_list IndexScatter::backward(Ctx&, const variable_list& g) {
  return {autograd::apply<IndexGather>(g[0], idx, dim), Tensor()};
}

}  // namespace

Tensor ops::index_scatter(const Tensor& g, const Tensor& idx, int64_t dim, IntArrayRef shape) {
  return autograd::apply<IndexScatter>(g, idx, dim, shape);
}

Tensor max(const Tensor& t) { return autograd::apply<SelectAll<true>>(t); }
Tensor min(const Tensor& t) { return autograd::apply<SelectAll<false>>(t); }
std::tuple<Tensor, Tensor> max(const Tensor& t, int64_t dim, bool keepdim) {
  return autograd::apply<SelectDim<true>>(t, dim, keepdim);
}
std::tuple<Tensor, Tensor> min(const Tensor& t, int64_t dim, bool keepdim) {
  return autograd::apply<SelectDim<false>>(t, dim, keepdim);
}
Tensor amax(const Tensor& t, IntArrayRef dim, bool keepdim) { return autograd::apply<SelectAmax<true>>(t, dim, keepdim); }
Tensor amin(const Tensor& t, IntArrayRef dim, bool keepdim) { return autograd::apply<SelectAmax<false>>(t, dim, keepdim); }
Tensor argmax(const Tensor& t, std::optional<int64_t> dim, bool keepdim) { return arg_select(t, dim, keepdim, true); }
Tensor argmin(const Tensor& t, std::optional<int64_t> dim, bool keepdim) { return arg_select(t, dim, keepdim, false); }

Tensor Tensor::max() const { return nabla::max(*this); }
Tensor Tensor::min() const { return nabla::min(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return nabla::max(*this, dim, keepdim); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return nabla::min(*this, dim, keepdim); }
Tensor Tensor::amax(IntArrayRef dim, bool keepdim) const { return nabla::amax(*this, dim, keepdim); }
Tensor Tensor::amin(IntArrayRef dim, bool keepdim) const { return nabla::amin(*this, dim, keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return nabla::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const { return nabla::argmin(*this, dim, keepdim); }

}  // namespace nabla
