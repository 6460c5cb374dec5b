// batch_norm: a fused forward (channel statistics, running-stat update, normalisation) and a
// fused backward (NativeBatchNormBackward0), with a differentiable backward for
// create_graph (Note [Normalisation gradients] in nn_norm.h).
#include <algorithm>
#include <sstream>

#include "kernels/cpu/loops.h"
#include "nabla/nn/functional/batchnorm.h"
#include "ops/nn_norm.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;
using namespace ops::norm;

namespace {

// The running statistics ride along as one non-tensor argument: they get no edges.
struct RunningStats {
  Tensor mean, var;
};

// Input (N, C, S...) seen as N planes per channel of S contiguous elements.
struct Planes {
  int64_t n, c, s;
  int64_t count() const { return n * s; }
};
Planes planes_of(const Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1);
  return {n, c, n * c == 0 ? 0 : x.numel() / (n * c)};
}

// Mean and sum of squared deviations of every channel (two passes, double accumulators).
// (N, C) inputs: the channels are the columns of N rows, accumulated row by row.
template <typename T>
void column_stats(const T* x, Planes p, double* mean, double* var_sum) {
  std::fill(mean, mean + p.c, 0.0);
  std::fill(var_sum, var_sum + p.c, 0.0);
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t c = 0; c < p.c; ++c) mean[c] += static_cast<double>(x[n * p.c + c]);
  for (int64_t c = 0; c < p.c; ++c) mean[c] /= static_cast<double>(p.n);
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t c = 0; c < p.c; ++c) {
      const double d = static_cast<double>(x[n * p.c + c]) - mean[c];
      var_sum[c] += d * d;
    }
}

template <typename T>
void channel_stats(const T* x, Planes p, double* mean, double* var_sum) {
  if (p.s == 1 && p.n > 0) return column_stats(x, p, mean, var_sum);
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(p.count(), 1));
  kernels::parallel_for(0, p.c, grain, [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      double s = 0;
      for (int64_t n = 0; n < p.n; ++n) {
        const T* q = x + (n * p.c + c) * p.s;
        for (int64_t i = 0; i < p.s; ++i) s += static_cast<double>(q[i]);
      }
      const double m = p.count() > 0 ? s / static_cast<double>(p.count()) : 0.0;
      double v = 0;
      for (int64_t n = 0; n < p.n; ++n) {
        const T* q = x + (n * p.c + c) * p.s;
        for (int64_t i = 0; i < p.s; ++i) {
          const double d = static_cast<double>(q[i]) - m;
          v += d * d;
        }
      }
      mean[c] = m;
      var_sum[c] = v;
    }
  });
}

// y = x * alpha[c] + beta[c] with alpha = invstd * w, beta = b - mean * alpha.
template <typename T>
void normalize_planes(const T* x, T* y, Planes p, const double* mean, const double* invstd, const T* w, const T* b) {
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(p.s, 1));
  kernels::parallel_for(0, p.n * p.c, grain, [&](int64_t pb, int64_t pe) {
    for (int64_t plane = pb; plane < pe; ++plane) {
      const int64_t c = plane % p.c;
      const double alpha = invstd[c] * (w ? static_cast<double>(w[c]) : 1.0);
      const double beta = (b ? static_cast<double>(b[c]) : 0.0) - mean[c] * alpha;
      const T a = static_cast<T>(alpha), bb = static_cast<T>(beta);
      const T* q = x + plane * p.s;
      T* r = y + plane * p.s;
      for (int64_t i = 0; i < p.s; ++i) r[i] = q[i] * a + bb;
    }
  });
}

// Fused backward: per channel sum(dy) and sum(dy * (x - mean)); then dx (if gi) and the
// parameter gradients in double.
// (N, C) inputs: the per-channel sums accumulate row by row; then dx row by row.
template <typename T>
void column_backward(const T* x, const T* dy, T* gi, double* gw, double* gb, Planes p, const double* mean,
                     const double* invstd, const T* w, bool training) {
  std::vector<double> sum_dy_xmu(static_cast<size_t>(p.c), 0.0);
  std::fill(gb, gb + p.c, 0.0);
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t c = 0; c < p.c; ++c) {
      const double d = static_cast<double>(dy[n * p.c + c]);
      gb[c] += d;
      sum_dy_xmu[c] += d * (static_cast<double>(x[n * p.c + c]) - mean[c]);
    }
  for (int64_t c = 0; c < p.c; ++c) gw[c] = sum_dy_xmu[c] * invstd[c];
  if (!gi) return;
  const double m = static_cast<double>(p.n);
  std::vector<double> scale(static_cast<size_t>(p.c)), k(static_cast<size_t>(p.c)), mean_dy(static_cast<size_t>(p.c));
  for (int64_t c = 0; c < p.c; ++c) {
    scale[c] = invstd[c] * (w ? static_cast<double>(w[c]) : 1.0);
    k[c] = training ? sum_dy_xmu[c] * invstd[c] * invstd[c] / m : 0.0;
    mean_dy[c] = training ? gb[c] / m : 0.0;
  }
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t c = 0; c < p.c; ++c) {
      const double xmu = static_cast<double>(x[n * p.c + c]) - mean[c];
      gi[n * p.c + c] = static_cast<T>((static_cast<double>(dy[n * p.c + c]) - mean_dy[c] - xmu * k[c]) * scale[c]);
    }
}

template <typename T>
void batch_norm_backward_kernel(const T* x, const T* dy, T* gi, double* gw, double* gb, Planes p, const double* mean,
                                const double* invstd, const T* w, bool training) {
  if (p.s == 1 && p.n > 0) return column_backward(x, dy, gi, gw, gb, p, mean, invstd, w, training);
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(p.count(), 1));
  const double m = static_cast<double>(p.count());
  kernels::parallel_for(0, p.c, grain, [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      const double mu = mean[c];
      double sum_dy = 0, sum_dy_xmu = 0;
      for (int64_t n = 0; n < p.n; ++n) {
        const int64_t off = (n * p.c + c) * p.s;
        for (int64_t i = 0; i < p.s; ++i) {
          const double d = static_cast<double>(dy[off + i]);
          sum_dy += d;
          sum_dy_xmu += d * (static_cast<double>(x[off + i]) - mu);
        }
      }
      gw[c] = sum_dy_xmu * invstd[c];
      gb[c] = sum_dy;
      if (!gi) continue;
      const double scale = invstd[c] * (w ? static_cast<double>(w[c]) : 1.0);
      if (training) {
        const double k = m > 0 ? sum_dy_xmu * invstd[c] * invstd[c] / m : 0.0;
        const double mean_dy = m > 0 ? sum_dy / m : 0.0;
        for (int64_t n = 0; n < p.n; ++n) {
          const int64_t off = (n * p.c + c) * p.s;
          for (int64_t i = 0; i < p.s; ++i) {
            const double xmu = static_cast<double>(x[off + i]) - mu;
            gi[off + i] = static_cast<T>((static_cast<double>(dy[off + i]) - mean_dy - xmu * k) * scale);
          }
        }
      } else {
        const T s = static_cast<T>(scale);
        for (int64_t n = 0; n < p.n; ++n) {
          const int64_t off = (n * p.c + c) * p.s;
          for (int64_t i = 0; i < p.s; ++i) gi[off + i] = dy[off + i] * s;
        }
      }
    }
  });
}

// running = momentum * batch + (1 - momentum) * running, computed in double.
void update_running(const Tensor& running, const std::vector<double>& batch, double momentum) {
  Tensor old = running.to(kDouble).contiguous();
  const double* o = old.data_ptr<double>();
  Tensor next = core::empty({static_cast<int64_t>(batch.size())}, kDouble);
  double* q = next.data_ptr<double>();
  for (size_t c = 0; c < batch.size(); ++c) q[c] = momentum * batch[c] + (1 - momentum) * o[c];
  Tensor target = running;
  target.copy_(next.view(running.sizes()));
}

struct NativeBatchNorm {
  static constexpr const char* name = "NativeBatchNormBackward0";
  bool training = false;
  double eps = 0;

  Tensor forward(Ctx& ctx, const Tensor& input, const Tensor& weight, const Tensor& bias, const RunningStats& rs,
                 bool training_, double momentum, double eps_) {
    training = training_;
    eps = eps_;
    Tensor x = input.contiguous();
    const Planes p = planes_of(x);
    std::vector<double> mean(static_cast<size_t>(p.c)), invstd(static_cast<size_t>(p.c));
    Tensor out = core::empty(x.sizes(), x.scalar_type());
    run_forward(x, weight, bias, rs, momentum, p, mean, invstd, out);
    if (ctx.recording()) {
      Tensor m = core::empty({p.c}, kDouble), is = core::empty({p.c}, kDouble);
      std::copy(mean.begin(), mean.end(), m.data_ptr<double>());
      std::copy(invstd.begin(), invstd.end(), is.data_ptr<double>());
      ctx.save(input, weight, m, is);
    }
    return out;
  }

  void run_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const RunningStats& rs, double momentum,
                   const Planes& p, std::vector<double>& mean, std::vector<double>& invstd, Tensor& out) const;

  variable_list backward(Ctx& ctx, const variable_list& g) {
    if (!g[0].defined()) return {Tensor(), Tensor(), Tensor()};
    auto saved = ctx.saved<4>();
    Tensor &input = saved[0], &weight = saved[1], &mean = saved[2], &invstd = saved[3];
    if (GradMode::is_enabled()) return backward_differentiable(ctx, g[0], input, weight, mean, invstd);
    Tensor x = input.contiguous(), dy = g[0].to(input.scalar_type()).contiguous();
    Tensor w = weight.defined() ? weight.contiguous() : Tensor();
    const Planes p = planes_of(x);
    Tensor gi = ctx.needs_input_grad(0) ? core::empty(x.sizes(), x.scalar_type()) : Tensor();
    Tensor gw = core::empty({p.c}, kDouble), gb = core::empty({p.c}, kDouble);
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "batch_norm_backward", [&] {
      batch_norm_backward_kernel<scalar_t>(x.data_ptr<scalar_t>(), dy.data_ptr<scalar_t>(),
                                           gi.defined() ? gi.data_ptr<scalar_t>() : nullptr, gw.data_ptr<double>(),
                                           gb.data_ptr<double>(), p, mean.data_ptr<double>(), invstd.data_ptr<double>(),
                                           kernels::data_or_null<scalar_t>(w), training);
    });
    return {gi, ctx.needs_input_grad(1) ? gw.to(x.scalar_type()) : Tensor(),
            ctx.needs_input_grad(2) ? gb.to(x.scalar_type()) : Tensor()};
  }

  variable_list backward_differentiable(Ctx& ctx, const Tensor& dy, const Tensor& x, const Tensor& weight,
                                        const Tensor& mean, const Tensor& invstd) const {
    const int64_t nd = x.dim();
    const std::vector<int64_t> dims = non_channel_dims(nd);
    Tensor dyw = weight.defined() ? dy * as_channel_param(weight, nd) : dy;
    Tensor gi, xhat;
    if (training) {
      Normalized n = normalize_differentiable(x, dims, eps);
      xhat = n.xhat;
      if (ctx.needs_input_grad(0)) gi = normalized_input_grad(n, dyw, dims);
    } else {
      Tensor is = as_channel_param(invstd.to(x.scalar_type()), nd);
      xhat = (x - as_channel_param(mean.to(x.scalar_type()), nd)) * is;
      if (ctx.needs_input_grad(0)) gi = dyw * is;
    }
    return {gi, ctx.needs_input_grad(1) ? (dy * xhat).sum(dims) : Tensor(),
            ctx.needs_input_grad(2) ? dy.sum(dims) : Tensor()};
  }
};

void NativeBatchNorm::run_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, const RunningStats& rs,
                                  double momentum, const Planes& p, std::vector<double>& mean,
                                  std::vector<double>& invstd, Tensor& out) const {
  Tensor w = weight.defined() ? weight.contiguous() : Tensor();
  Tensor b = bias.defined() ? bias.contiguous() : Tensor();
  if (training) {
    std::vector<double> var_sum(static_cast<size_t>(p.c));
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "batch_norm", [&] {
      channel_stats<scalar_t>(x.data_ptr<scalar_t>(), p, mean.data(), var_sum.data());
    });
    const double m = static_cast<double>(p.count());
    for (int64_t c = 0; c < p.c; ++c) invstd[c] = 1.0 / std::sqrt((m > 0 ? var_sum[c] / m : 0.0) + eps);
    if (p.count() > 0) {
      if (rs.mean.defined()) update_running(rs.mean, mean, momentum);
      if (rs.var.defined()) {
        std::vector<double> unbiased(var_sum.size());
        for (size_t c = 0; c < var_sum.size(); ++c) unbiased[c] = var_sum[c] / (m - 1);
        update_running(rs.var, unbiased, momentum);
      }
    }
  } else {
    Tensor rm = rs.mean.to(kDouble).contiguous(), rv = rs.var.to(kDouble).contiguous();
    for (int64_t c = 0; c < p.c; ++c) {
      mean[c] = rm.data_ptr<double>()[c];
      invstd[c] = 1.0 / std::sqrt(rv.data_ptr<double>()[c] + eps);
    }
  }
  NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "batch_norm", [&] {
    normalize_planes<scalar_t>(x.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), p, mean.data(), invstd.data(),
                               kernels::data_or_null<scalar_t>(w), kernels::data_or_null<scalar_t>(b));
  });
}

void check_features(const char* what, const Tensor& t, int64_t num_features) {
  if (!t.defined()) return;
  NABLA_CHECK(t.numel() == num_features, what, " should contain ", num_features, " elements not ", t.numel());
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, bool /*cudnn_enabled*/) {
  const int64_t num_features = input.size(1);
  check_features("running_mean", running_mean, num_features);
  NABLA_CHECK(running_mean.defined() || training, "running_mean must be defined in evaluation mode");
  check_features("running_var", running_var, num_features);
  NABLA_CHECK(running_var.defined() || training, "running_var must be defined in evaluation mode");
  check_features("weight", weight, num_features);
  check_features("bias", bias, num_features);
  NABLA_CHECK(isFloatingType(input.scalar_type()), "\"batch_norm\" not implemented for '",
              scalarTypeName(input.scalar_type()), "'");
  for (const Tensor* t : {&weight, &bias, &running_mean, &running_var}) check_param_dtype(input, *t);
  return autograd::apply<NativeBatchNorm>(input, weight, bias, RunningStats{running_mean, running_var}, training,
                                          momentum, eps);
}

namespace nn::functional {

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options) {
  NABLA_CHECK(options.momentum().has_value(),
              "batch_norm(): argument 'momentum' (position 7) must be float, not NoneType");
  if (options.training()) {
    IntArrayRef size = input.sizes();
    int64_t values = size[0];
    for (size_t d = 2; d < size.size(); ++d) values *= size[d];
    std::ostringstream shape;
    shape << "torch.Size([";
    for (size_t d = 0; d < size.size(); ++d) shape << (d ? ", " : "") << size[d];
    shape << "])";
    NABLA_CHECK(values != 1, "Expected more than 1 value per channel when training, got input size ", shape.str());
  }
  return nabla::batch_norm(input, options.weight(), options.bias(), running_mean, running_var, options.training(),
                           *options.momentum(), options.eps());
}

}  // namespace nn::functional
}  // namespace nabla
