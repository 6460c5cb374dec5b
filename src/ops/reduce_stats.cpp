// Statistical reductions: var, std (Welford), norm (p = 0, 1, 2, ±inf, any other p),
// logsumexp (shifted by the max, so it neither overflows nor gives NaN for large logits).
#include "ops/reduce_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

// ---- var / std --------------------------------------------------------------------------

struct Moments {
  int64_t n = 0;
  double mean = 0, m2 = 0;
};

template <typename T>
struct WelfordReducer {
  using acc_t = Moments;
  T* out;
  int64_t correction;
  bool take_sqrt;
  Moments init(int64_t) const { return {}; }
  void step(Moments& a, T x, int64_t) const {
    const double v = static_cast<double>(x);
    ++a.n;
    const double delta = v - a.mean;
    a.mean += delta / static_cast<double>(a.n);
    a.m2 += delta * (v - a.mean);
  }
  void combine(Moments& a, const Moments& b) const {
    if (b.n == 0) return;
    if (a.n == 0) {
      a = b;
      return;
    }
    const double n = static_cast<double>(a.n + b.n), delta = b.mean - a.mean;
    a.mean += delta * static_cast<double>(b.n) / n;
    a.m2 += b.m2 + delta * delta * static_cast<double>(a.n) * static_cast<double>(b.n) / n;
    a.n += b.n;
  }
  void store(int64_t o, const Moments& a) const {
    const double v = a.m2 / static_cast<double>(std::max<int64_t>(0, a.n - correction));
    out[o] = static_cast<T>(take_sqrt ? std::sqrt(v) : v);
  }
};

Tensor var_kernel(const Tensor& t, IntArrayRef dims, bool unbiased, bool keepdim, bool take_sqrt) {
  NABLA_CHECK(isFloatingType(t.scalar_type()), "std and var only support floating point and complex dtypes");
  auto g = kernels::reduce_geom(t, dims, keepdim);
  Tensor out = core::empty(g.out_shape, t.scalar_type());
  NABLA_DISPATCH_FLOATING_TYPES(t.scalar_type(), "var", [&] {
    kernels::reduce<scalar_t>(g, WelfordReducer<scalar_t>{out.data_ptr<scalar_t>(), unbiased ? 1 : 0, take_sqrt});
  });
  return out;
}

// d var / dx = 2 (x - mean) / (N - correction), written with differentiable ops.
Tensor var_backward(const Tensor& g, const Tensor& x, IntArrayRef dims, bool unbiased) {
  const double n = static_cast<double>(ops::reduced_numel(x, dims)) - (unbiased ? 1.0 : 0.0);
  return (2.0 / n) * g * (x - x.mean(dims, true));
}

template <bool Std>
struct VarStd {
  static constexpr const char* name = Std ? "StdBackward0" : "VarBackward0";
  DimVector dims;
  bool unbiased = true, keepdim = false;
  Tensor forward(Ctx& ctx, const Tensor& t, IntArrayRef dim, bool unbiased_, bool keepdim_) {
    dims = ops::reduction_dims(t, dim);
    unbiased = unbiased_;
    keepdim = keepdim_;
    Tensor out = var_kernel(t, dims, unbiased, keepdim, Std);
    ctx.save(t);
    if (Std) ctx.save_output(out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    Tensor x = ctx.saved(0);
    Tensor gr = ops::restore_reduced(g[0], dims, keepdim);
    if (Std) gr = gr / (2 * ops::restore_reduced(ctx.saved(1), dims, keepdim));
    return {var_backward(gr, x, dims, unbiased)};
  }
};

// ---- norm -------------------------------------------------------------------------------

struct NormAcc {
  double v = 0;
  int64_t n = 0;
};

template <typename T>
struct NormReducer {
  using acc_t = NormAcc;
  T* out;
  double p;
  NormAcc init(int64_t) const { return {p == -INFINITY ? INFINITY : 0.0, 0}; }
  void step(NormAcc& a, T x, int64_t) const {
    const double v = std::fabs(static_cast<double>(x));
    ++a.n;
    if (p == 2) a.v += v * v;
    else if (p == 1) a.v += v;
    else if (p == 0) a.v += v != 0 ? 1.0 : 0.0;
    else if (p == INFINITY) a.v = (std::isnan(v) || v > a.v) && !std::isnan(a.v) ? v : a.v;
    else if (p == -INFINITY) a.v = (std::isnan(v) || v < a.v) && !std::isnan(a.v) ? v : a.v;
    else a.v += std::pow(v, p);
  }
  // Contiguous runs: p = 1 and p = 2 with eight independent partial sums (vectorised).
  void run(NormAcc& a, const T* q, int64_t n) const {
    if (p != 1 && p != 2) {
      for (int64_t i = 0; i < n; ++i) step(a, q[i], 0);
      return;
    }
    double s[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int k = 0; k < 8; ++k) {
        const double v = static_cast<double>(q[i + k]);
        s[k] += p == 2 ? v * v : std::fabs(v);
      }
    for (; i < n; ++i) {
      const double v = static_cast<double>(q[i]);
      s[0] += p == 2 ? v * v : std::fabs(v);
    }
    for (int k = 0; k < 8; ++k) a.v += s[k];
    a.n += n;
  }
  void combine(NormAcc& a, const NormAcc& b) const {
    if (b.n == 0) return;
    if (a.n == 0) {
      a = b;
      return;
    }
    if (std::isinf(p)) {
      const bool take = std::isnan(b.v) || (p > 0 ? b.v > a.v : b.v < a.v);
      if (!std::isnan(a.v) && take) a.v = b.v;
    } else {
      a.v += b.v;
    }
    a.n += b.n;
  }
  void store(int64_t o, const NormAcc& a) const {
    double r = a.v;
    if (a.n == 0) r = 0;
    else if (p == 2) r = std::sqrt(a.v);
    else if (p != 0 && p != 1 && !std::isinf(p)) r = std::pow(a.v, 1.0 / p);
    out[o] = static_cast<T>(r);
  }
};

Tensor norm_kernel(const Tensor& t, IntArrayRef dims, bool keepdim, double p) {
  NABLA_CHECK(isFloatingType(t.scalar_type()), "norm(): input dtype should be either floating point or complex. Got ",
              scalarTypeName(t.scalar_type()), " instead.");
  auto g = kernels::reduce_geom(t, dims, keepdim);
  Tensor out = core::empty(g.out_shape, t.scalar_type());
  NABLA_DISPATCH_FLOATING_TYPES(t.scalar_type(), "norm", [&] {
    kernels::reduce<scalar_t>(g, NormReducer<scalar_t>{out.data_ptr<scalar_t>(), p});
  });
  return out;
}

// g and norm have the reduced dims restored (size 1). The formulas are PyTorch's.
Tensor norm_backward(const Tensor& g, const Tensor& x, const Tensor& norm, double p, IntArrayRef dims) {
  if (p == 0) return Tensor();  // PyTorch gives no gradient (None) for p = 0
  if (p == 1) return ops::masked_scale(g, ops::map_const(x, [](double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }));
  const Tensor nonzero = ops::map_const(norm, [](double v) { return v != 0 ? 1.0 : 0.0; });
  if (p == 2) return x * ops::masked_scale(g / norm, nonzero);
  if (std::isinf(p)) {
    // The elements whose |x| is the norm (or NaN) share the gradient, with x's sign.
    Tensor mask = ops::map2_const(x, norm, [](double v, double n) {
      return std::fabs(v) == n || std::isnan(v) ? 1.0 : 0.0;
    });
    Tensor sgn = ops::map_const(x, [](double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; });
    return ops::masked_scale(g, sgn * mask / mask.sum(dims, true));
  }
  Tensor scale = ops::masked_scale(g / norm.pow(p - 1), nonzero);
  Tensor scaled = p < 1 ? x.sign() * x.abs().pow(p - 1) : x * x.abs().pow(p - 2);
  return scaled * scale;
}

template <bool WithDim>
struct Norm {
  static constexpr const char* name = WithDim ? "NormBackward1" : "NormBackward0";
  DimVector dims;
  bool keepdim = false;
  double p = 2;
  Tensor forward(Ctx& ctx, const Tensor& t, const Scalar& p_, IntArrayRef dim, bool keepdim_) {
    p = p_.toDouble();
    dims = ops::reduction_dims(t, dim);
    keepdim = keepdim_;
    Tensor out = norm_kernel(t, dims, keepdim, p);
    ctx.save(t);
    ctx.save_output(out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, result] = ctx.saved<2>();
    return {norm_backward(ops::restore_reduced(g[0], dims, keepdim), x, ops::restore_reduced(result, dims, keepdim), p,
                          dims)};
  }
};

// ---- logsumexp --------------------------------------------------------------------------

template <typename T>
struct MaxReducer {
  using acc_t = double;
  double* out;
  double init(int64_t) const { return -INFINITY; }
  void step(double& a, T x, int64_t) const {
    const double v = static_cast<double>(x);
    if (!std::isnan(a) && (std::isnan(v) || v > a)) a = v;
  }
  void combine(double& a, const double& b) const {
    if (!std::isnan(a) && (std::isnan(b) || b > a)) a = b;
  }
  void store(int64_t o, const double& a) const { out[o] = a; }
};

// log(sum(exp(x - m))) + m with m the slice's max (0 when it is infinite, as PyTorch does).
template <typename T>
struct LseReducer {
  struct acc_t {
    double sum = 0, shift = 0;
  };
  T* out;
  const double* max;
  acc_t init(int64_t o) const { return {0.0, std::isinf(max[o]) ? 0.0 : max[o]}; }
  void step(acc_t& a, T x, int64_t) const { a.sum += std::exp(static_cast<double>(x) - a.shift); }
  void combine(acc_t& a, const acc_t& b) const { a.sum += b.sum; }
  void store(int64_t o, const acc_t& a) const { out[o] = static_cast<T>(std::log(a.sum) + a.shift); }
};

Tensor logsumexp_kernel(const Tensor& t0, IntArrayRef dims, bool keepdim) {
  const ScalarType dt = isFloatingType(t0.scalar_type()) ? t0.scalar_type() : TensorOptions::default_dtype();
  Tensor t = t0.scalar_type() == dt ? t0 : kernels::to_dtype(t0, dt);
  auto g = kernels::reduce_geom(t, dims, keepdim);
  Tensor out = core::empty(g.out_shape, dt);
  std::vector<double> max(static_cast<size_t>(g.num_out));
  NABLA_DISPATCH_FLOATING_TYPES(dt, "logsumexp", [&] {
    kernels::reduce<scalar_t>(g, MaxReducer<scalar_t>{max.data()});
    kernels::reduce<scalar_t>(g, LseReducer<scalar_t>{out.data_ptr<scalar_t>(), max.data()});
  });
  return out;
}

struct LogSumExp {
  static constexpr const char* name = "LogsumexpBackward0";
  DimVector dims;
  bool keepdim = false;
  Tensor forward(Ctx& ctx, const Tensor& t, IntArrayRef dim, bool keepdim_) {
    dims = ops::reduction_dims(t, dim);
    keepdim = keepdim_;
    Tensor out = logsumexp_kernel(t, dims, keepdim);
    ctx.save(t);
    ctx.save_output(out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, result] = ctx.saved<2>();
    return {ops::restore_reduced(g[0], dims, keepdim) * (x - ops::restore_reduced(result, dims, keepdim)).exp()};
  }
};

}  // namespace

Tensor var(const Tensor& t, bool unbiased) { return autograd::apply<VarStd<false>>(t, IntArrayRef(), unbiased, false); }
Tensor var(const Tensor& t, IntArrayRef dim, bool unbiased, bool keepdim) {
  return autograd::apply<VarStd<false>>(t, dim, unbiased, keepdim);
}
Tensor std(const Tensor& t, bool unbiased) { return autograd::apply<VarStd<true>>(t, IntArrayRef(), unbiased, false); }
Tensor std(const Tensor& t, IntArrayRef dim, bool unbiased, bool keepdim) {
  return autograd::apply<VarStd<true>>(t, dim, unbiased, keepdim);
}
Tensor norm(const Tensor& t, const Scalar& p) { return autograd::apply<Norm<false>>(t, p, IntArrayRef(), false); }
Tensor norm(const Tensor& t, const Scalar& p, IntArrayRef dim, bool keepdim) {
  return autograd::apply<Norm<true>>(t, p, dim, keepdim);
}
Tensor logsumexp(const Tensor& t, IntArrayRef dim, bool keepdim) { return autograd::apply<LogSumExp>(t, dim, keepdim); }

Tensor Tensor::var(bool unbiased) const { return nabla::var(*this, unbiased); }
Tensor Tensor::var(IntArrayRef dim, bool unbiased, bool keepdim) const { return nabla::var(*this, dim, unbiased, keepdim); }
Tensor Tensor::std(bool unbiased) const { return nabla::std(*this, unbiased); }
Tensor Tensor::std(IntArrayRef dim, bool unbiased, bool keepdim) const { return nabla::std(*this, dim, unbiased, keepdim); }
Tensor Tensor::norm(const Scalar& p) const { return nabla::norm(*this, p); }
Tensor Tensor::norm(const Scalar& p, IntArrayRef dim, bool keepdim) const { return nabla::norm(*this, p, dim, keepdim); }
Tensor Tensor::logsumexp(IntArrayRef dim, bool keepdim) const { return nabla::logsumexp(*this, dim, keepdim); }

}  // namespace nabla
