// Reductions: sum, mean, prod (whole tensor and over dims), sum_out, mean_out, all, any,
// cumsum; plus the helpers the reduction family shares (reduce_common.h).
#include <algorithm>

#include "nabla/warning.h"
#include "ops/reduce_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace ops {

DimVector reduction_dims(const Tensor& t, IntArrayRef dim) {
  return dim.empty() ? kernels::all_dims(t) : core::wrap_dims(dim, t.dim());
}

Tensor restore_reduced(const Tensor& g, IntArrayRef dims, bool keepdim) {
  if (keepdim) return g;
  DimVector sorted(dims);
  std::sort(sorted.begin(), sorted.end());
  Tensor out = g;
  for (int64_t d : sorted) out = out.unsqueeze(d);
  return out;
}

int64_t reduced_numel(const Tensor& t, IntArrayRef dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= t.dim() == 0 ? 1 : t.size(d);
  return n;
}

namespace {

struct MaskedScale {
  static constexpr const char* name = "MaskedFillBackward0";
  Tensor w;
  Tensor forward(Ctx&, const Tensor& g, const Tensor& w_) {
    w = w_;
    ScalarType dt = promoteTypes(g.scalar_type(), w.scalar_type());
    Tensor out = core::empty(core::broadcast_shape(g.sizes(), w.sizes()), dt);
    NABLA_DISPATCH_FLOATING_TYPES(dt, "masked_scale", [&] {
      kernels::binary_loop<scalar_t, scalar_t>(out, kernels::to_dtype(g, dt), kernels::to_dtype(w, dt),
                                               [](scalar_t x, scalar_t m) { return m != 0 ? x * m : scalar_t(0); });
    });
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {masked_scale(g[0], w), Tensor()}; }
};

}  // namespace

Tensor masked_scale(const Tensor& g, const Tensor& w) { return autograd::apply<MaskedScale>(g, w.detach()); }

namespace {
// The dtype name as PyTorch's out= dtype check prints it (caffe2's TypeMeta names).
const char* meta_name(ScalarType t) {
  switch (t) {
    case kByte: return "unsigned char";
    case kInt: return "int";
    case kLong: return "long int";
    case kFloat: return "float";
    case kDouble: return "double";
    case kBool: return "bool";
    case kHalf: return "c10::Half";
    case kShort: return "short int";
    case kChar: return "signed char";
  }
  return "";
}
}  // namespace

void prepare_out(Tensor& out, const char* op, IntArrayRef shape, std::initializer_list<const Tensor*> inputs) {
  bool grad = out.requires_grad();
  for (const Tensor* t : inputs) grad = grad || t->requires_grad();
  NABLA_CHECK(!(grad && GradMode::is_enabled()), op,
              "(): functions with out=... arguments don't support automatic differentiation, but one of the "
              "arguments requires grad.");
  if (out.sizes() == shape) return;
  if (out.numel() != 0)
    warn("An output with one or more elements was resized since it had shape " + core::shape_str(out.sizes()) +
         ", which does not match the required output shape " + core::shape_str(shape) +
         ". This behavior is deprecated, and in a future PyTorch release outputs will not be resized unless "
         "they have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
         "elements with t.resize_(0).");
  Tensor fresh = core::empty(shape, out.scalar_type());
  out.unsafeGetTensorImpl()->set_storage(fresh.impl()->storage());
  out.unsafeGetTensorImpl()->set_geometry(fresh.sizes(), fresh.strides(), 0);
}

}  // namespace ops

namespace {

// Integer arithmetic wraps (as PyTorch's does) instead of overflowing.
template <typename A>
inline A add_wrap(A a, A b) {
  if constexpr (std::is_integral_v<A>) return static_cast<A>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  else return a + b;
}
template <typename A>
inline A mul_wrap(A a, A b) {
  if constexpr (std::is_integral_v<A>) return static_cast<A>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else return a * b;
}
template <typename O, typename A>
inline O narrow(A a) {
  if constexpr (std::is_same_v<O, bool>) return a != 0;
  else return static_cast<O>(a);
}

// Sum (or product) of elements of type T into outputs of type O; mean divides by the count.
template <typename T, typename O, bool Prod>
struct SumReducer {
  using acc_t = ops::acc_t<O>;
  O* out;
  bool mean;
  double count;
  acc_t init(int64_t) const { return acc_t(Prod ? 1 : 0); }
  void step(acc_t& a, T x, int64_t) const {
    if constexpr (Prod) a = mul_wrap(a, static_cast<acc_t>(x));
    else a = add_wrap(a, static_cast<acc_t>(x));
  }
  void combine(acc_t& a, const acc_t& b) const { a = Prod ? mul_wrap(a, b) : add_wrap(a, b); }
  // Floating sums: contiguous runs with eight independent partial sums, so that the double
  // additions do not form one serial dependency chain. (Integer sums keep the plain loop:
  // integer adds are cheap, and GCC 12 at -O3 -march=native miscompiled this unrolled form
  // for int32/uint8 inputs widened to int64.)
  void run(acc_t& a, const T* p, int64_t n) const
    requires(!Prod && std::is_floating_point_v<acc_t>)
  {
    acc_t s[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) s[k] += static_cast<acc_t>(p[i + k]);
    for (; i < n; ++i) s[0] += static_cast<acc_t>(p[i]);
    a += ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  }
  // Adjacent outputs advancing together over one input row (the columns schedule).
  void lanes(acc_t* __restrict acc, const T* __restrict row, int64_t n) const
    requires(!Prod)
  {
    for (int64_t j = 0; j < n; ++j) acc[j] = add_wrap(acc[j], static_cast<acc_t>(row[j]));
  }
  void store(int64_t o, const acc_t& a) const {
    if constexpr (std::is_floating_point_v<acc_t>) out[o] = narrow<O>(mean ? a / count : a);
    else out[o] = narrow<O>(a);
  }
};

// Sum/prod/mean over dims into out_dtype: the input is read as it is when out_dtype is its
// own dtype or (for integers and bool) int64; otherwise it is converted first.
Tensor sum_kernel(const Tensor& t0, IntArrayRef dims, bool keepdim, ScalarType out_dtype, bool prod, bool mean) {
  const bool direct = t0.scalar_type() == out_dtype || (out_dtype == kLong && isIntegralType(t0.scalar_type(), true));
  Tensor t = direct ? t0 : kernels::to_dtype(t0, out_dtype);
  auto g = kernels::reduce_geom(t, dims, keepdim);
  Tensor out = core::empty(g.out_shape, out_dtype);
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "sum", [&] {
    using T = scalar_t;
    using Wide = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;
    auto run = [&](auto* o) {
      using O = std::remove_pointer_t<decltype(o)>;
      const double count = static_cast<double>(g.num_red);
      if (prod) kernels::reduce<T>(g, SumReducer<T, O, true>{o, false, count});
      else kernels::reduce<T>(g, SumReducer<T, O, false>{o, mean, count});
    };
    if (out_dtype == t.scalar_type()) run(static_cast<T*>(out.data_ptr()));
    else run(static_cast<Wide*>(out.data_ptr()));
  });
  return out;
}

ScalarType sum_dtype(const Tensor& t, std::optional<ScalarType> dtype) {
  if (dtype) return *dtype;
  return isIntegralType(t.scalar_type(), true) ? kLong : t.scalar_type();
}

ScalarType mean_dtype(const Tensor& t, std::optional<ScalarType> dtype) {
  if (dtype) {
    NABLA_CHECK(isFloatingType(*dtype), "mean(): could not infer output dtype. Optional dtype must be either a "
                                        "floating point or complex dtype. Got: ", scalarTypeName(*dtype));
    return *dtype;
  }
  NABLA_CHECK(isFloatingType(t.scalar_type()), "mean(): could not infer output dtype. Input dtype must be either "
                                               "a floating point or complex dtype. Got: ", scalarTypeName(t.scalar_type()));
  return t.scalar_type();
}

struct Sum {
  static constexpr const char* name = "SumBackward0";
  DimVector in_shape;
  Tensor forward(Ctx&, const Tensor& t, std::optional<ScalarType> dtype) {
    in_shape = DimVector(t.sizes());
    return sum_kernel(t, kernels::all_dims(t), false, sum_dtype(t, dtype), false, false);
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].expand(in_shape)}; }
};

struct SumDim {
  static constexpr const char* name = "SumBackward1";
  DimVector in_shape, dims;
  bool keepdim = false;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef dim, bool keepdim_, std::optional<ScalarType> dtype) {
    in_shape = DimVector(t.sizes());
    dims = ops::reduction_dims(t, dim);
    keepdim = keepdim_;
    return sum_kernel(t, dims, keepdim, sum_dtype(t, dtype), false, false);
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {ops::restore_reduced(g[0], dims, keepdim).expand(in_shape)};
  }
};

struct Mean {
  static constexpr const char* name = "MeanBackward0";
  DimVector in_shape;
  Tensor forward(Ctx&, const Tensor& t, std::optional<ScalarType> dtype) {
    in_shape = DimVector(t.sizes());
    return sum_kernel(t, kernels::all_dims(t), false, mean_dtype(t, dtype), false, true);
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {g[0].expand(in_shape) / static_cast<double>(prod_sizes(in_shape))};
  }
};

struct MeanDim {
  static constexpr const char* name = "MeanBackward1";
  DimVector in_shape, dims;
  bool keepdim = false;
  int64_t count = 1;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef dim, bool keepdim_, std::optional<ScalarType> dtype) {
    in_shape = DimVector(t.sizes());
    dims = ops::reduction_dims(t, dim);
    keepdim = keepdim_;
    count = ops::reduced_numel(t, dims);
    return sum_kernel(t, dims, keepdim, mean_dtype(t, dtype), false, true);
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {ops::restore_reduced(g[0], dims, keepdim).expand(in_shape) / static_cast<double>(count)};
  }
};

// Note [Product backward with zeros]
// d prod / d x_i = prod_{j != i} x_j =: O_i. Without zeros O = result / x. With zeros, write
// O_i = (Q / x1_i) * Z_i where x1 is x with its zeros replaced by 1, Q = prod(x1) and Z_i is
// the product of x over the zero positions other than i. Z_i is 1 when no other zero is in
// the slice, x_z when exactly one other zero z is, and 0 (with zero derivative) otherwise, so
// Z = C + W * (s - m * x) with m the zero mask, s the slice's sum of m * x (value 0, but
// carrying the derivative) and C, W constant 0/1 masks. O then has the right value and the
// right first derivative, which is what double backward needs.
Tensor prod_backward_dim(const Tensor& g, const Tensor& x, const Tensor& result, int64_t dim) {
  bool zeros = false;
  NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "prod_backward", [&] {
    Tensor xc = kernels::to_dtype(x.detach(), x.scalar_type());
    const scalar_t* p = xc.data_ptr<scalar_t>();
    zeros = std::any_of(p, p + xc.numel(), [](scalar_t v) { return v == 0; });
  });
  if (!zeros) return g * (result / x);
  Tensor m = ops::map_const(x, [](double v) { return v == 0 ? 1.0 : 0.0; });
  Tensor others = ops::map2_const(m.sum(dim, true), m, [](double c, double mi) { return c - mi; });
  Tensor C = ops::map_const(others, [](double v) { return v == 0 ? 1.0 : 0.0; });
  Tensor W = ops::map_const(others, [](double v) { return v == 1 ? 1.0 : 0.0; });
  Tensor mx = ops::masked_scale(x, m);
  Tensor x1 = ops::masked_scale(x, 1 - m) + m;
  Tensor Q = x1.prod(dim, true);
  Tensor Z = ops::masked_scale(mx.sum(dim, true) - mx, W) + C;
  return g * (Q / x1 * Z);
}

struct Prod {
  static constexpr const char* name = "ProdBackward0";
  Tensor forward(Ctx& ctx, const Tensor& t, std::optional<ScalarType> dtype) {
    Tensor out = sum_kernel(t, kernels::all_dims(t), false, sum_dtype(t, dtype), true, false);
    ctx.save(t);
    ctx.save_output(out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, result] = ctx.saved<2>();
    if (x.dim() == 0) return {g[0]};
    return {prod_backward_dim(g[0].reshape({1}), x.reshape({-1}), result.reshape({1}), 0).reshape(x.sizes())};
  }
};

struct ProdDim {
  static constexpr const char* name = "ProdBackward1";
  int64_t dim = 0;
  bool keepdim = false;
  Tensor forward(Ctx& ctx, const Tensor& t, int64_t dim_, bool keepdim_, std::optional<ScalarType> dtype) {
    dim = core::wrap_dim(dim_, t.dim());
    keepdim = keepdim_;
    Tensor out = sum_kernel(t, t.dim() == 0 ? DimVector() : DimVector{dim}, keepdim, sum_dtype(t, dtype), true, false);
    ctx.save(t);
    ctx.save_output(out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, result] = ctx.saved<2>();
    if (x.dim() == 0) return {g[0]};
    Tensor gg = ops::restore_reduced(g[0], {dim}, keepdim), r = ops::restore_reduced(result, {dim}, keepdim);
    return {prod_backward_dim(gg, x, r, dim)};
  }
};

// all / any: bool results (uint8 for uint8 input, as PyTorch 1.13).
template <typename T, typename O, bool All>
struct LogicalReducer {
  using acc_t = int;  // 0 or 1 (not bool: accumulators live in std::vector)
  O* out;
  int init(int64_t) const { return All; }
  void step(int& a, T x, int64_t) const { a = All ? (a && x != T(0)) : (a || x != T(0)); }
  void combine(int& a, const int& b) const { a = All ? (a && b) : (a || b); }
  void store(int64_t o, const int& a) const { out[o] = static_cast<O>(a != 0); }
};

template <bool All>
Tensor logical_reduce(const Tensor& t, IntArrayRef dims, bool keepdim) {
  auto g = kernels::reduce_geom(t, dims, keepdim);
  const ScalarType out_dtype = t.scalar_type() == kByte ? kByte : kBool;
  Tensor out = core::empty(g.out_shape, out_dtype);
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), All ? "all" : "any", [&] {
    if (out_dtype == kByte) kernels::reduce<scalar_t>(g, LogicalReducer<scalar_t, uint8_t, All>{out.data_ptr<uint8_t>()});
    else kernels::reduce<scalar_t>(g, LogicalReducer<scalar_t, bool, All>{out.data_ptr<bool>()});
  });
  return out;
}

DimVector one_dim(const Tensor& t, int64_t dim) {
  int64_t d = core::wrap_dim(dim, t.dim());
  return t.dim() == 0 ? DimVector() : DimVector{d};
}

// The adjoint of cumsum (sum from each position to the end); its own backward is cumsum.
struct ReverseCumsum {
  static constexpr const char* name = "FlipBackward0";
  int64_t dim = 0;
  Tensor forward(Ctx&, const Tensor& g, int64_t dim_) {
    dim = dim_;
    Tensor src = kernels::to_dtype(g, g.scalar_type());
    Tensor out = core::empty(g.sizes(), g.scalar_type());
    if (g.dim() == 0) kernels::copy_(out, src);
    else kernels::reverse_cumsum(out, src, dim);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].cumsum(dim)}; }
};

struct Cumsum {
  static constexpr const char* name = "CumsumBackward0";
  int64_t dim = 0;
  Tensor forward(Ctx&, const Tensor& t, int64_t dim_, std::optional<ScalarType> dtype) {
    dim = core::wrap_dim(dim_, t.dim());
    const ScalarType dt = sum_dtype(t, dtype);
    Tensor src = kernels::to_dtype(t, dt);
    Tensor out = core::empty(t.sizes(), dt);
    if (t.dim() == 0) kernels::copy_(out, src);
    else kernels::cumsum(out, src, dim);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {autograd::apply<ReverseCumsum>(g[0], dim)}; }
};

}  // namespace

Tensor sum(const Tensor& t, std::optional<ScalarType> dtype) { return autograd::apply<Sum>(t, dtype); }
Tensor sum(const Tensor& t, IntArrayRef dim, bool keepdim, std::optional<ScalarType> dtype) {
  return autograd::apply<SumDim>(t, dim, keepdim, dtype);
}
// mean_dtype first: its error names the input's own dtype (int8 computes as int32 in the op).
Tensor mean(const Tensor& t, std::optional<ScalarType> dtype) {
  mean_dtype(t, dtype);
  return autograd::apply<Mean>(t, dtype);
}
Tensor mean(const Tensor& t, IntArrayRef dim, bool keepdim, std::optional<ScalarType> dtype) {
  mean_dtype(t, dtype);
  return autograd::apply<MeanDim>(t, dim, keepdim, dtype);
}
Tensor prod(const Tensor& t, std::optional<ScalarType> dtype) { return autograd::apply<Prod>(t, dtype); }
Tensor prod(const Tensor& t, int64_t dim, bool keepdim, std::optional<ScalarType> dtype) {
  return autograd::apply<ProdDim>(t, dim, keepdim, dtype);
}
Tensor all(const Tensor& t) { return logical_reduce<true>(t, kernels::all_dims(t), false); }
Tensor all(const Tensor& t, int64_t dim, bool keepdim) { return logical_reduce<true>(t, one_dim(t, dim), keepdim); }
Tensor any(const Tensor& t) { return logical_reduce<false>(t, kernels::all_dims(t), false); }
Tensor any(const Tensor& t, int64_t dim, bool keepdim) { return logical_reduce<false>(t, one_dim(t, dim), keepdim); }
Tensor cumsum(const Tensor& t, int64_t dim, std::optional<ScalarType> dtype) {
  return autograd::apply<Cumsum>(t, dim, dtype);
}

Tensor& sum_out(Tensor& out, const Tensor& t, IntArrayRef dim, bool keepdim, std::optional<ScalarType> dtype) {
  NABLA_CHECK(!dtype || *dtype == out.scalar_type(), "Expected out tensor to have dtype ", ops::meta_name(*dtype),
              ", but got ", ops::meta_name(out.scalar_type()), " instead");
  DimVector dims = ops::reduction_dims(t, dim);
  Tensor r = sum_kernel(t, dims, keepdim, out.scalar_type(), false, false);
  ops::prepare_out(out, "sum", r.sizes(), {&t});
  kernels::copy_(out, r);
  out.unsafeGetTensorImpl()->bump_version();
  return out;
}

Tensor& mean_out(Tensor& out, const Tensor& t, IntArrayRef dim, bool keepdim, std::optional<ScalarType> dtype) {
  const ScalarType dt = mean_dtype(t, dtype);
  NABLA_CHECK(core::can_cast(dt, out.scalar_type()), "result type ", scalarTypeName(dt),
              " can't be cast to the desired output type ", scalarTypeName(out.scalar_type()));
  DimVector dims = ops::reduction_dims(t, dim);
  Tensor r = sum_kernel(t, dims, keepdim, isFloatingType(out.scalar_type()) ? out.scalar_type() : dt, false, true);
  ops::prepare_out(out, "mean", r.sizes(), {&t});
  kernels::copy_(out, r);
  out.unsafeGetTensorImpl()->bump_version();
  return out;
}

Tensor Tensor::sum(std::optional<ScalarType> dtype) const { return nabla::sum(*this, dtype); }
Tensor Tensor::sum(IntArrayRef dim, bool keepdim, std::optional<ScalarType> dtype) const {
  return nabla::sum(*this, dim, keepdim, dtype);
}
Tensor Tensor::mean(std::optional<ScalarType> dtype) const { return nabla::mean(*this, dtype); }
Tensor Tensor::mean(IntArrayRef dim, bool keepdim, std::optional<ScalarType> dtype) const {
  return nabla::mean(*this, dim, keepdim, dtype);
}
Tensor Tensor::prod(std::optional<ScalarType> dtype) const { return nabla::prod(*this, dtype); }
Tensor Tensor::prod(int64_t dim, bool keepdim, std::optional<ScalarType> dtype) const {
  return nabla::prod(*this, dim, keepdim, dtype);
}
Tensor Tensor::all() const { return nabla::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return nabla::all(*this, dim, keepdim); }
Tensor Tensor::any() const { return nabla::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return nabla::any(*this, dim, keepdim); }
Tensor Tensor::cumsum(int64_t dim, std::optional<ScalarType> dtype) const { return nabla::cumsum(*this, dim, dtype); }

}  // namespace nabla
