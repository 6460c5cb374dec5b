// softmax and log_softmax along a dim (shifted by the max: no overflow for large logits).
#include "ops/reduce_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

Tensor softmax_kernel(const Tensor& t, int64_t dim, bool log) {
  const bool lastdim = t.dim() == 0 || dim == t.dim() - 1;
  // PyTorch's kernel names in its dtype error: the log_softmax kernel over other dims shares
  // softmax's name.
  const char* kernel = !lastdim ? "softmax_kernel_impl" : log ? "log_softmax_lastdim_kernel_impl" : "softmax_lastdim_kernel_impl";
  NABLA_CHECK(isFloatingType(t.scalar_type()), "\"", kernel, "\" not implemented for '",
              scalarTypeName(t.scalar_type()), "'");
  Tensor src = kernels::to_dtype(t, t.scalar_type());
  Tensor out = core::empty(t.sizes(), t.scalar_type());
  kernels::softmax(out, src, t.dim() == 0 ? 0 : dim, log);
  return out;
}

struct Softmax {
  static constexpr const char* name = "SoftmaxBackward0";
  int64_t dim = 0;
  Tensor forward(Ctx& ctx, const Tensor& t, int64_t dim_) {
    dim = core::wrap_dim(dim_, t.dim());
    Tensor out = softmax_kernel(t, dim, false);
    ctx.save_output(out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    Tensor y = ctx.saved(0);
    return {y * (g[0] - (g[0] * y).sum(dim, true))};
  }
};

struct LogSoftmax {
  static constexpr const char* name = "LogSoftmaxBackward0";
  int64_t dim = 0;
  Tensor forward(Ctx& ctx, const Tensor& t, int64_t dim_) {
    dim = core::wrap_dim(dim_, t.dim());
    Tensor out = softmax_kernel(t, dim, true);
    ctx.save_output(out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    Tensor y = ctx.saved(0);
    return {g[0] - y.exp() * g[0].sum(dim, true)};
  }
};

}  // namespace

Tensor softmax(const Tensor& t, int64_t dim, std::optional<ScalarType> dtype) {
  return autograd::apply<Softmax>(dtype ? t.to(*dtype) : t, dim);
}
Tensor log_softmax(const Tensor& t, int64_t dim, std::optional<ScalarType> dtype) {
  return autograd::apply<LogSoftmax>(dtype ? t.to(*dtype) : t, dim);
}
Tensor Tensor::softmax(int64_t dim, std::optional<ScalarType> dtype) const { return nabla::softmax(*this, dim, dtype); }
Tensor Tensor::log_softmax(int64_t dim, std::optional<ScalarType> dtype) const {
  return nabla::log_softmax(*this, dim, dtype);
}

}  // namespace nabla
