// layer_norm and group_norm: fused forward and backward kernels (NativeLayerNormBackward0,
// NativeGroupNormBackward0), with a differentiable backward for create_graph
// (Note [Normalisation gradients] in nn_norm.h).
#include "ops/nn_norm.h"

#include <sstream>

#include "kernels/cpu/loops.h"
#include "nabla/nn/functional/normalization.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;
using namespace ops::norm;

namespace {

Tensor double_tensor(const std::vector<double>& v) {
  Tensor t = core::empty({static_cast<int64_t>(v.size())}, kDouble);
  std::copy(v.begin(), v.end(), t.data_ptr<double>());
  return t;
}

std::vector<int64_t> range_dims(int64_t begin, int64_t end) {
  std::vector<int64_t> d;
  for (int64_t i = begin; i < end; ++i) d.push_back(i);
  return d;
}

// ---- layer_norm -----------------------------------------------------------------------------
// x seen as `rows` contiguous rows of k elements; weight and bias index the columns.

template <typename T>
void layer_norm_rows(const T* x, T* y, int64_t rows, int64_t k, const double* mean, const double* rstd, const T* w,
                     const T* b) {
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(k, 1));
  kernels::parallel_for(0, rows, grain, [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const T a = static_cast<T>(rstd[r]), c = static_cast<T>(-mean[r] * rstd[r]);
      const T* p = x + r * k;
      T* q = y + r * k;
      if (w && b) {
        for (int64_t j = 0; j < k; ++j) q[j] = (p[j] * a + c) * w[j] + b[j];
      } else {
        for (int64_t j = 0; j < k; ++j) {
          T v = p[j] * a + c;
          if (w) v *= w[j];
          if (b) v += b[j];
          q[j] = v;
        }
      }
    }
  });
}

template <typename T>
void layer_norm_backward_kernel(const T* x, const T* dy, T* gi, double* gw, double* gb, int64_t rows, int64_t k,
                                const double* mean, const double* rstd, const T* w) {
  if (gi) {
    const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(k, 1));
    kernels::parallel_for(0, rows, grain, [&](int64_t rb, int64_t re) {
      for (int64_t r = rb; r < re; ++r) {
        const T* p = x + r * k;
        const T* d = dy + r * k;
        double s1 = 0, s2 = 0;  // sum(dy' * x̂), sum(dy')
        for (int64_t j = 0; j < k; ++j) {
          const double dyw = static_cast<double>(d[j]) * (w ? static_cast<double>(w[j]) : 1.0);
          s1 += dyw * (static_cast<double>(p[j]) - mean[r]) * rstd[r];
          s2 += dyw;
        }
        const double m1 = s1 / static_cast<double>(k), m2 = s2 / static_cast<double>(k);
        T* g = gi + r * k;
        for (int64_t j = 0; j < k; ++j) {
          const double dyw = static_cast<double>(d[j]) * (w ? static_cast<double>(w[j]) : 1.0);
          const double xhat = (static_cast<double>(p[j]) - mean[r]) * rstd[r];
          g[j] = static_cast<T>(rstd[r] * (dyw - m2 - xhat * m1));
        }
      }
    });
  }
  // Column sums: each thread owns a block of columns and walks every row.
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(rows, 1));
  kernels::parallel_for(0, k, grain, [&](int64_t jb, int64_t je) {
    for (int64_t j = jb; j < je; ++j) gw[j] = gb[j] = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const T* p = x + r * k;
      const T* d = dy + r * k;
      for (int64_t j = jb; j < je; ++j) {
        gw[j] += static_cast<double>(d[j]) * (static_cast<double>(p[j]) - mean[r]) * rstd[r];
        gb[j] += static_cast<double>(d[j]);
      }
    }
  });
}

struct NativeLayerNorm {
  static constexpr const char* name = "NativeLayerNormBackward0";
  int64_t norm_ndim = 0;
  double eps = 0;

  Tensor forward(Ctx& ctx, const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t norm_ndim_,
                 double eps_) {
    norm_ndim = norm_ndim_;
    eps = eps_;
    Tensor x = input.contiguous();
    const int64_t k = prod_sizes(x.sizes().slice(static_cast<size_t>(x.dim() - norm_ndim)));
    const int64_t rows = k == 0 ? 0 : x.numel() / k;
    Tensor w = weight.defined() ? weight.contiguous() : Tensor();
    Tensor b = bias.defined() ? bias.contiguous() : Tensor();
    std::vector<double> mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows));
    Tensor out = core::empty(x.sizes(), x.scalar_type());
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "LayerNormKernelImpl", [&] {
      row_stats<scalar_t>(x.data_ptr<scalar_t>(), rows, k, eps, mean.data(), rstd.data());
      layer_norm_rows<scalar_t>(x.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), rows, k, mean.data(), rstd.data(),
                                kernels::data_or_null<scalar_t>(w), kernels::data_or_null<scalar_t>(b));
    });
    if (ctx.recording()) ctx.save(input, weight, double_tensor(mean), double_tensor(rstd));
    return out;
  }

  variable_list backward(Ctx& ctx, const variable_list& g) {
    if (!g[0].defined()) return {Tensor(), Tensor(), Tensor()};
    auto saved = ctx.saved<4>();
    Tensor &input = saved[0], &weight = saved[1], &mean = saved[2], &rstd = saved[3];
    const int64_t nd = input.dim(), lead = nd - norm_ndim;
    if (GradMode::is_enabled()) {
      const std::vector<int64_t> dims = range_dims(lead, nd), lead_dims = range_dims(0, lead);
      Normalized n = normalize_differentiable(input, dims, eps);
      Tensor dy = g[0];
      Tensor gi =
          ctx.needs_input_grad(0) ? normalized_input_grad(n, weight.defined() ? dy * weight : dy, dims) : Tensor();
      auto sum_lead = [&](const Tensor& t) { return lead_dims.empty() ? t : t.sum(lead_dims); };
      return {gi, ctx.needs_input_grad(1) ? sum_lead(dy * n.xhat) : Tensor(),
              ctx.needs_input_grad(2) ? sum_lead(dy) : Tensor()};
    }
    Tensor x = input.contiguous(), dy = g[0].to(input.scalar_type()).contiguous();
    Tensor w = weight.defined() ? weight.contiguous() : Tensor();
    const int64_t k = prod_sizes(x.sizes().slice(static_cast<size_t>(lead)));
    const int64_t rows = k == 0 ? 0 : x.numel() / k;
    Tensor gi = ctx.needs_input_grad(0) ? core::empty(x.sizes(), x.scalar_type()) : Tensor();
    Tensor gw = core::empty({k}, kDouble), gb = core::empty({k}, kDouble);
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "LayerNormBackwardKernelImpl", [&] {
      layer_norm_backward_kernel<scalar_t>(x.data_ptr<scalar_t>(), dy.data_ptr<scalar_t>(),
                                           gi.defined() ? gi.data_ptr<scalar_t>() : nullptr, gw.data_ptr<double>(),
                                           gb.data_ptr<double>(), rows, k, mean.data_ptr<double>(),
                                           rstd.data_ptr<double>(), kernels::data_or_null<scalar_t>(w));
    });
    IntArrayRef pshape = x.sizes().slice(static_cast<size_t>(lead));
    return {gi, ctx.needs_input_grad(1) ? gw.to(x.scalar_type()).view(pshape) : Tensor(),
            ctx.needs_input_grad(2) ? gb.to(x.scalar_type()).view(pshape) : Tensor()};
  }
};

// ---- group_norm -----------------------------------------------------------------------------
// x (N, C, S...) contiguous; row (n, g) is the contiguous block of channels g*cg .. g*cg+cg-1.

struct Groups {
  int64_t n, c, s, g;
  int64_t cg() const { return c / g; }
};

template <typename T>
void group_norm_planes(const T* x, T* y, Groups q, const double* mean, const double* rstd, const T* w, const T* b) {
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(q.s, 1));
  kernels::parallel_for(0, q.n * q.c, grain, [&](int64_t pb, int64_t pe) {
    for (int64_t plane = pb; plane < pe; ++plane) {
      const int64_t n = plane / q.c, c = plane % q.c, row = n * q.g + c / q.cg();
      const double alpha = rstd[row] * (w ? static_cast<double>(w[c]) : 1.0);
      const double beta = (b ? static_cast<double>(b[c]) : 0.0) - mean[row] * alpha;
      const T a = static_cast<T>(alpha), bb = static_cast<T>(beta);
      const T* p = x + plane * q.s;
      T* r = y + plane * q.s;
      for (int64_t i = 0; i < q.s; ++i) r[i] = p[i] * a + bb;
    }
  });
}

template <typename T>
void group_norm_backward_kernel(const T* x, const T* dy, T* gi, double* gw, double* gb, Groups q, const double* mean,
                                const double* rstd, const T* w) {
  const int64_t k = q.cg() * q.s;
  if (gi) {
    const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(k, 1));
    kernels::parallel_for(0, q.n * q.g, grain, [&](int64_t rb, int64_t re) {
      for (int64_t r = rb; r < re; ++r) {
        const int64_t c0 = (r % q.g) * q.cg();
        double s1 = 0, s2 = 0;  // sum(dy' * x̂), sum(dy')
        for (int64_t cc = 0; cc < q.cg(); ++cc) {
          const double wc = w ? static_cast<double>(w[c0 + cc]) : 1.0;
          const int64_t off = r * k + cc * q.s;
          for (int64_t i = 0; i < q.s; ++i) {
            const double dyw = static_cast<double>(dy[off + i]) * wc;
            s1 += dyw * (static_cast<double>(x[off + i]) - mean[r]) * rstd[r];
            s2 += dyw;
          }
        }
        const double m1 = s1 / static_cast<double>(k), m2 = s2 / static_cast<double>(k);
        for (int64_t cc = 0; cc < q.cg(); ++cc) {
          const double wc = w ? static_cast<double>(w[c0 + cc]) : 1.0;
          const int64_t off = r * k + cc * q.s;
          for (int64_t i = 0; i < q.s; ++i) {
            const double xhat = (static_cast<double>(x[off + i]) - mean[r]) * rstd[r];
            gi[off + i] = static_cast<T>(rstd[r] * (static_cast<double>(dy[off + i]) * wc - m2 - xhat * m1));
          }
        }
      }
    });
  }
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(q.n * q.s, 1));
  kernels::parallel_for(0, q.c, grain, [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      double sw = 0, sb = 0;
      for (int64_t n = 0; n < q.n; ++n) {
        const int64_t row = n * q.g + c / q.cg(), off = (n * q.c + c) * q.s;
        for (int64_t i = 0; i < q.s; ++i) {
          const double d = static_cast<double>(dy[off + i]);
          sw += d * (static_cast<double>(x[off + i]) - mean[row]) * rstd[row];
          sb += d;
        }
      }
      gw[c] = sw;
      gb[c] = sb;
    }
  });
}

struct NativeGroupNorm {
  static constexpr const char* name = "NativeGroupNormBackward0";
  int64_t groups = 1;
  double eps = 0;

  static Groups groups_of(const Tensor& x, int64_t g) {
    const int64_t n = x.size(0), c = x.size(1);
    return {n, c, n * c == 0 ? 0 : x.numel() / (n * c), g};
  }

  Tensor forward(Ctx& ctx, const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t groups_,
                 double eps_) {
    groups = groups_;
    eps = eps_;
    Tensor x = input.contiguous();
    const Groups q = groups_of(x, groups);
    Tensor w = weight.defined() ? weight.contiguous() : Tensor();
    Tensor b = bias.defined() ? bias.contiguous() : Tensor();
    std::vector<double> mean(static_cast<size_t>(q.n * q.g)), rstd(static_cast<size_t>(q.n * q.g));
    Tensor out = core::empty(x.sizes(), x.scalar_type());
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "GroupNormKernelImpl", [&] {
      row_stats<scalar_t>(x.data_ptr<scalar_t>(), q.n * q.g, q.cg() * q.s, eps, mean.data(), rstd.data());
      group_norm_planes<scalar_t>(x.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), q, mean.data(), rstd.data(),
                                  kernels::data_or_null<scalar_t>(w), kernels::data_or_null<scalar_t>(b));
    });
    if (ctx.recording()) ctx.save(input, weight, double_tensor(mean), double_tensor(rstd));
    return out;
  }

  variable_list backward(Ctx& ctx, const variable_list& g) {
    if (!g[0].defined()) return {Tensor(), Tensor(), Tensor()};
    auto saved = ctx.saved<4>();
    Tensor &input = saved[0], &weight = saved[1], &mean = saved[2], &rstd = saved[3];
    const int64_t nd = input.dim();
    if (GradMode::is_enabled()) {
      const std::vector<int64_t> dims = non_channel_dims(nd);
      const std::vector<int64_t> grouped{input.size(0), groups, -1};
      Normalized n = normalize_differentiable(input.reshape(grouped), {2}, eps);
      Tensor dy = g[0], xhat = n.xhat.reshape(input.sizes());
      Tensor gi;
      if (ctx.needs_input_grad(0)) {
        Tensor dyw = weight.defined() ? dy * as_channel_param(weight, nd) : dy;
        gi = normalized_input_grad(n, dyw.reshape(grouped), {2}).reshape(input.sizes());
      }
      return {gi, ctx.needs_input_grad(1) ? (dy * xhat).sum(dims) : Tensor(),
              ctx.needs_input_grad(2) ? dy.sum(dims) : Tensor()};
    }
    Tensor x = input.contiguous(), dy = g[0].to(input.scalar_type()).contiguous();
    Tensor w = weight.defined() ? weight.contiguous() : Tensor();
    const Groups q = groups_of(x, groups);
    Tensor gi = ctx.needs_input_grad(0) ? core::empty(x.sizes(), x.scalar_type()) : Tensor();
    Tensor gw = core::empty({q.c}, kDouble), gb = core::empty({q.c}, kDouble);
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "GroupNormBackwardKernelImpl", [&] {
      group_norm_backward_kernel<scalar_t>(x.data_ptr<scalar_t>(), dy.data_ptr<scalar_t>(),
                                           gi.defined() ? gi.data_ptr<scalar_t>() : nullptr, gw.data_ptr<double>(),
                                           gb.data_ptr<double>(), q, mean.data_ptr<double>(), rstd.data_ptr<double>(),
                                           kernels::data_or_null<scalar_t>(w));
    });
    return {gi, ctx.needs_input_grad(1) ? gw.to(x.scalar_type()) : Tensor(),
            ctx.needs_input_grad(2) ? gb.to(x.scalar_type()) : Tensor()};
  }
};

void check_layer_norm_param(const char* what, const Tensor& p, IntArrayRef normalized_shape) {
  NABLA_CHECK(!p.defined() || p.sizes() == normalized_shape, "Expected ", what,
              " to be of same shape as normalized_shape, but got ", what, " of shape ", p.sizes(),
              " and normalized_shape = ", normalized_shape);
}

void check_group_norm_param(const char* what, const Tensor& p, const Tensor& input, int64_t channels) {
  NABLA_CHECK(!p.defined() || (p.dim() == 1 && p.numel() == channels), "Expected ", what,
              " to be a vector of size equal to the number of channels in input, but got ", what, " of shape ",
              p.sizes(), " and input of shape ", input.sizes());
}

}  // namespace

Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps, bool /*cudnn_enable*/) {
  const int64_t norm_ndim = static_cast<int64_t>(normalized_shape.size());
  NABLA_CHECK(norm_ndim >= 1,
              "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but "
              "got normalized_shape = ",
              normalized_shape);
  check_layer_norm_param("weight", weight, normalized_shape);
  check_layer_norm_param("bias", bias, normalized_shape);
  const int64_t nd = input.dim();
  if (nd < norm_ndim || input.sizes().slice(static_cast<size_t>(nd - norm_ndim)) != normalized_shape) {
    std::ostringstream ss;
    ss << "Given normalized_shape=" << normalized_shape << ", expected input with shape [*";
    for (int64_t s : normalized_shape) ss << ", " << s;
    ss << "], but got input of size" << input.sizes();
    NABLA_CHECK(false, ss.str());
  }
  NABLA_CHECK(isFloatingType(input.scalar_type()), "\"LayerNormKernelImpl\" not implemented for '",
              scalarTypeName(input.scalar_type()), "'");
  check_same_type(input, weight);
  check_same_type(input, bias);
  return autograd::apply<NativeLayerNorm>(input, weight, bias, norm_ndim, eps);
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps,
                  bool /*cudnn_enabled*/) {
  const int64_t channels = input.size(1);
  NABLA_CHECK(num_groups > 0, "Expected num groups to be greater than 0, got ", num_groups);
  NABLA_CHECK(channels % num_groups == 0,
              "Expected number of channels in input to be divisible by num_groups, but got input of shape ",
              input.sizes(), " and num_groups=", num_groups);
  check_group_norm_param("weight", weight, input, channels);
  check_group_norm_param("bias", bias, input, channels);
  NABLA_CHECK(isFloatingType(input.scalar_type()), "\"GroupNormKernelImpl\" not implemented for '",
              scalarTypeName(input.scalar_type()), "'");
  check_same_type(input, weight);
  check_same_type(input, bias);
  return autograd::apply<NativeGroupNorm>(input, weight, bias, num_groups, eps);
}

namespace nn::functional {

Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options) {
  return nabla::layer_norm(input, options.normalized_shape(), options.weight(), options.bias(), options.eps());
}

Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options) {
  // Python's F.group_norm first checks that each group sees more than one value.
  const int64_t num_groups = options.num_groups();
  NABLA_CHECK(num_groups > 0, "Expected num groups to be greater than 0, got ", num_groups);
  std::vector<int64_t> size{input.size(0) * input.size(1) / num_groups, num_groups};
  for (int64_t d = 2; d < input.dim(); ++d) size.push_back(input.size(d));
  int64_t values = size[0];
  for (size_t d = 2; d < size.size(); ++d) values *= size[d];
  NABLA_CHECK(values != 1, "Expected more than 1 value per channel when training, got input size ", IntArrayRef(size));
  return nabla::group_norm(input, num_groups, options.weight(), options.bias(), options.eps());
}

}  // namespace nn::functional
}  // namespace nabla
