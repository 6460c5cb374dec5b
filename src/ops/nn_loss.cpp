// Classification losses: nll_loss and cross_entropy (class indices with a fused
// log_softmax + nll kernel; label smoothing and class probabilities composed of ops), and
// their nn::functional forms.
//
// Note [Fused cross entropy]
// cross_entropy with class indices is the hot path of training. One node (PyTorch's final
// node name, NllLossBackward0) computes the softmax probabilities P and the loss in one pass
// over the logits and keeps P; its gradient is g * (w_t * P - w_t * onehot(t)) per position,
// one more pass. Under create_graph the gradient is composed of differentiable ops instead
// (softmax(x) and constants), so double backward works.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/vmath.h"
#include "kernels/cpu/parallel.h"
#include "nabla/nn/functional/loss.h"
#include "ops/elementwise_common.h"
#include "ops/nn_loss.h"
#include "ops/reduce_common.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

// Input (N, C, d1, ...) seen as [N, C, D]; (C) is N = 1, D = 1.
struct NllLayout {
  int64_t n = 1, c = 1, d = 1;
};

// The target and class weights: constants of the loss (no gradient flows into them).
struct NllConsts {
  Tensor target, weight;
  Reduction reduction = kMean;
  int64_t ignore_index = -100;
};

// PyTorch's checks of nll_loss_nd, in its order.
NllLayout check_nll(const Tensor& input, const Tensor& target, const std::optional<Tensor>& weight) {
  NABLA_CHECK(input.dim() >= 1, "Expected 1 or more dimensions (got ", input.dim(), ")");
  const auto size_mismatch = [&](const char* sep) {
    return detail::str("size mismatch (got input: ", input.sizes(), sep, "target: ", target.sizes(), ")");
  };
  if (input.dim() > 1 && target.dim() > 0)
    NABLA_CHECK(input.size(0) == target.size(0), "Expected input batch_size (", input.size(0),
                ") to match target batch_size (", target.size(0), ").");
  NllLayout l;
  if (input.dim() == 1) {
    NABLA_CHECK(target.dim() == 0, size_mismatch(", "));
    l.c = input.size(0);
  } else if (input.dim() == 2) {
    NABLA_CHECK(target.dim() <= 1, "0D or 1D target tensor expected, multi-target not supported");
    NABLA_CHECK(target.dim() == 1, size_mismatch(", "));
  } else if (input.dim() == 4) {
    NABLA_CHECK(target.dim() == 3, "only batches of spatial targets supported (3D tensors) but got targets of dimension: ",
                target.dim());
    const bool ok = input.size(2) == target.size(1) && input.size(3) == target.size(2);
    std::string msg = size_mismatch(" , ");
    msg.pop_back();  // PyTorch's nll_loss2d message has no closing parenthesis
    NABLA_CHECK(ok, msg);
  } else {
    DimVector expected{input.size(0)};
    for (int64_t i = 2; i < input.dim(); ++i) expected.push_back(input.size(i));
    NABLA_CHECK(target.dim() == input.dim() - 1 && IntArrayRef(target.sizes()).slice(1) == input.sizes().slice(2),
                "Expected target size ", IntArrayRef(expected), ", got ", target.sizes());
  }
  if (input.dim() > 1) {
    l.n = input.size(0);
    l.c = input.size(1);
    for (int64_t i = 2; i < input.dim(); ++i) l.d *= input.size(i);
  }
  if (weight && weight->defined())
    NABLA_CHECK(weight->dim() == 1 && weight->numel() == l.c, "weight tensor should be defined either for all ", l.c,
                " classes or no classes but got weight tensor of shape: ", weight->sizes());
  NABLA_CHECK(target.scalar_type() == kLong, "expected scalar type Long but found ", scalarTypeName(target.scalar_type()));
  return l;
}

// The class weight of each position (0 where ignored), after checking every target; and the
// total weight. Serial: it throws on a bad target.
template <typename T>
double target_weights(std::vector<T>& wt, const int64_t* tgt, const T* w, const NllLayout& l, int64_t ignore) {
  const int64_t positions = l.n * l.d;
  wt.resize(static_cast<size_t>(positions));
  double total = 0;
  for (int64_t p = 0; p < positions; ++p) {
    const int64_t t = tgt[p];
    if (t == ignore) {
      wt[static_cast<size_t>(p)] = T(0);
      continue;
    }
    NABLA_CHECK(t >= 0 && t < l.c, "Target ", t, " is out of bounds.");
    wt[static_cast<size_t>(p)] = w ? w[t] : T(1);
    total += static_cast<double>(wt[static_cast<size_t>(p)]);
  }
  return total;
}

// The loss of a reduction from per-position losses (dtype dt; shape of the target for none).
template <typename T>
Tensor reduce_losses(const std::vector<T>& losses, double total_weight, Reduction r, IntArrayRef target_shape,
                     ScalarType dt) {
  if (r == kNone) {
    Tensor out = core::empty(target_shape, dt);
    std::copy(losses.begin(), losses.end(), out.data_ptr<T>());
    return out;
  }
  double sum = 0;
  for (T v : losses) sum += static_cast<double>(v);
  Tensor out = core::empty({}, dt);
  *out.data_ptr<T>() = static_cast<T>(r == kMean ? sum / total_weight : sum);
  return out;
}

// The per-position factor of the gradient: g (none), g / total weight (mean), g (sum).
template <typename T>
void position_grads(std::vector<T>& gp, const Tensor& grad, Reduction r, double total_weight, int64_t positions) {
  gp.resize(static_cast<size_t>(positions));
  if (r == kNone) {
    Tensor g = grad.contiguous();
    std::copy(g.data_ptr<T>(), g.data_ptr<T>() + positions, gp.begin());
    return;
  }
  const double g = grad.item<double>();
  std::fill(gp.begin(), gp.end(), static_cast<T>(r == kMean ? g / total_weight : g));
}

// What backward needs besides the saved tensors.
struct NllState {
  NllLayout l;
  Reduction reduction = kMean;
  int64_t ignore_index = -100;
  double total = 0;  // total weight of the non-ignored positions
  DimVector in_shape;
  ScalarType dtype = kFloat;
};

NllState make_state(const Tensor& input, const NllConsts& k) {
  NllState s;
  s.l = check_nll(input, k.target, k.weight);
  s.reduction = k.reduction;
  s.ignore_index = k.ignore_index;
  s.in_shape = DimVector(input.sizes().begin(), input.sizes().end());
  s.dtype = input.scalar_type();
  return s;
}

template <typename T>
Tensor weight_as(const Tensor& weight) {
  return weight.defined() ? weight.to(CppTypeToScalarType<T>::value).contiguous() : Tensor();
}
// Constants of the composed gradient: -w_t at the target of each position (else 0), and the
// target weights shaped to broadcast along the class dim; both divided by the total weight
// for the mean.
std::pair<Tensor, Tensor> grad_constants(const NllState& s, const Tensor& target, const Tensor& weight) {
  const NllLayout& l = s.l;
  Tensor onehot = zeros(s.in_shape, s.dtype);
  DimVector wshape = s.in_shape;
  if (wshape.size() > 1) wshape[1] = 1;
  else wshape.clear();
  Tensor wt = core::empty(wshape, s.dtype);
  NABLA_DISPATCH_FLOATING_TYPES(s.dtype, "nll_loss_backward", [&] {
    Tensor tgt = target.contiguous(), w = weight_as<scalar_t>(weight);
    std::vector<scalar_t> ws;
    target_weights(ws, tgt.data_ptr<int64_t>(), kernels::data_or_null<scalar_t>(w), l, s.ignore_index);
    const double scale = s.reduction == kMean ? 1.0 / s.total : 1.0;
    const int64_t* tp = tgt.data_ptr<int64_t>();
    scalar_t* oh = onehot.data_ptr<scalar_t>();
    scalar_t* wp = wt.data_ptr<scalar_t>();
    for (int64_t p = 0; p < l.n * l.d; ++p) {
      // Weight 0 (ignored) stays 0 even when the total weight is 0.
      const scalar_t w_p = ws[static_cast<size_t>(p)];
      const auto v = w_p == 0 ? scalar_t(0) : static_cast<scalar_t>(w_p * scale);
      wp[p] = v;
      if (tp[p] != s.ignore_index) oh[(p / l.d) * l.c * l.d + tp[p] * l.d + p % l.d] = -v;
    }
  });
  return {onehot, wt};
}

// g viewed to broadcast along the class dim of the input.
Tensor grad_view(const Tensor& g, const NllState& s) {
  return s.reduction == kNone && s.in_shape.size() > 1 ? g.unsqueeze(1) : g;
}

// nll_loss: the gradient is linear in g, -w_t g at each target (divided by the total weight
// for the mean), composed of one differentiable op.
struct NllLoss {
  static constexpr const char* name = "NllLossBackward0";
  NllState s;
  Tensor forward(Ctx& ctx, const Tensor& input, const NllConsts& k) {
    s = make_state(input, k);
    ctx.save(k.target, k.weight);
    Tensor x = input.contiguous(), tgt = k.target.contiguous();
    return NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "nll_loss_out_frame", [&] {
      Tensor w = weight_as<scalar_t>(k.weight);
      std::vector<scalar_t> wt;
      const NllLayout& l = s.l;
      s.total = target_weights(wt, tgt.data_ptr<int64_t>(), kernels::data_or_null<scalar_t>(w), l, s.ignore_index);
      const scalar_t* xp = x.data_ptr<scalar_t>();
      const int64_t* tp = tgt.data_ptr<int64_t>();
      std::vector<scalar_t> losses(wt.size(), scalar_t(0));
      for (int64_t p = 0; p < l.n * l.d; ++p)
        if (tp[p] != s.ignore_index)
          losses[static_cast<size_t>(p)] = -wt[static_cast<size_t>(p)] * xp[(p / l.d) * l.c * l.d + tp[p] * l.d + p % l.d];
      return reduce_losses(losses, s.total, s.reduction, tgt.sizes(), x.scalar_type());
    });
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [target, weight] = ctx.saved<2>();
    return {ops::masked_scale(grad_view(g[0], s), grad_constants(s, target, weight).first)};
  }
};

// P = softmax(x) along the class dim, and the loss of each position (Note [Fused cross
// entropy]). Per chunk of rows: z = x - max over the classes, exp(z) over the whole chunk in
// one vector pass, then the normalisation and -w_t log P_t = -w_t (z_t - log Σ exp z).
template <typename T>
void cross_entropy_forward(const T* x, T* P, const int64_t* tgt, const std::vector<T>& wt, std::vector<T>& losses,
                           const NllLayout& l, int64_t ignore) {
  const int64_t C = l.c, D = l.d;
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(1, C * D));
  kernels::parallel_for(0, l.n, grain, [&](int64_t b, int64_t e) {
    std::vector<T> mxs(static_cast<size_t>((e - b) * D));
    for (int64_t n = b; n < e; ++n) {
      const T* xn = x + n * C * D;
      T* pn = P + n * C * D;
      T* mx = mxs.data() + (n - b) * D;
      if (D == 1) {  // (N, C): one contiguous row
        T m = -INFINITY;
        for (int64_t c = 0; c < C; ++c) m = xn[c] > m ? xn[c] : m;
        for (int64_t c = 0; c < C; ++c) pn[c] = xn[c] - m;
        mx[0] = m;
        continue;
      }
      std::fill(mx, mx + D, -INFINITY);
      for (int64_t c = 0; c < C; ++c)
        for (int64_t d = 0; d < D; ++d) mx[d] = xn[c * D + d] > mx[d] ? xn[c * D + d] : mx[d];
      for (int64_t c = 0; c < C; ++c)
        for (int64_t d = 0; d < D; ++d) pn[c * D + d] = xn[c * D + d] - mx[d];
    }
    kernels::vmath::apply(kernels::vmath::Fn::Exp, P + b * C * D, (e - b) * C * D);
    std::vector<double> sum(static_cast<size_t>(D));
    for (int64_t n = b; n < e; ++n) {
      const T* xn = x + n * C * D;
      T* pn = P + n * C * D;
      const T* mx = mxs.data() + (n - b) * D;
      if (D == 1) {
        double s = 0;
        for (int64_t c = 0; c < C; ++c) s += pn[c];
        sum[0] = s;
      } else {
        std::fill(sum.begin(), sum.end(), 0.0);
        for (int64_t c = 0; c < C; ++c)
          for (int64_t d = 0; d < D; ++d) sum[d] += pn[c * D + d];
      }
      for (int64_t d = 0; d < D; ++d) {
        const int64_t p = n * D + d;
        const auto inv = static_cast<T>(1.0 / sum[d]);
        for (int64_t c = 0; c < C; ++c) pn[c * D + d] *= inv;
        const int64_t t = tgt[p];
        losses[p] = t == ignore ? T(0) : -wt[p] * ((xn[t * D + d] - mx[d]) - static_cast<T>(std::log(sum[d])));
      }
    }
  });
}

// grad = g_p w_t (P - onehot(t)) at every position p.
template <typename T>
void cross_entropy_backward(T* gx, const T* P, const int64_t* tgt, const std::vector<T>& gw, const NllLayout& l,
                            int64_t ignore) {
  const int64_t C = l.c, D = l.d;
  const int64_t grain = std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(1, C * D));
  kernels::parallel_for(0, l.n, grain, [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      const T* gwn = gw.data() + n * D;
      for (int64_t c = 0; c < C; ++c)
        for (int64_t d = 0; d < D; ++d) gx[(n * C + c) * D + d] = gwn[d] * P[(n * C + c) * D + d];
      for (int64_t d = 0; d < D; ++d) {
        const int64_t t = tgt[n * D + d];
        if (t != ignore) gx[(n * C + t) * D + d] -= gwn[d];
      }
    }
  });
}

struct CrossEntropy {
  static constexpr const char* name = "NllLossBackward0";
  NllState s;
  Tensor forward(Ctx& ctx, const Tensor& input, const NllConsts& k) {
    // log_softmax's dtype check comes first, as in PyTorch.
    const char* kernel = input.dim() <= 2 ? "log_softmax_lastdim_kernel_impl" : "softmax_kernel_impl";
    NABLA_CHECK(isFloatingType(input.scalar_type()), "\"", kernel, "\" not implemented for '",
                scalarTypeName(input.scalar_type()), "'");
    s = make_state(input, k);
    Tensor x = input.contiguous(), tgt = k.target.contiguous();
    Tensor P = core::empty(x.sizes(), x.scalar_type());
    Tensor loss = NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), kernel, [&] {
      Tensor w = weight_as<scalar_t>(k.weight);
      std::vector<scalar_t> wt;
      s.total = target_weights(wt, tgt.data_ptr<int64_t>(), kernels::data_or_null<scalar_t>(w), s.l, s.ignore_index);
      std::vector<scalar_t> losses(wt.size());
      cross_entropy_forward(x.data_ptr<scalar_t>(), P.data_ptr<scalar_t>(), tgt.data_ptr<int64_t>(), wt, losses, s.l,
                            s.ignore_index);
      return reduce_losses(losses, s.total, s.reduction, tgt.sizes(), x.scalar_type());
    });
    ctx.save(input, k.target, k.weight, P);
    return loss;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto saved = ctx.saved<4>();
    Tensor &x = saved[0], &target = saved[1], &weight = saved[2], &P = saved[3];
    if (GradMode::is_enabled()) {
      auto [onehot, wt] = grad_constants(s, target, weight);
      Tensor gv = grad_view(g[0], s);
      return {ops::masked_scale(gv, onehot) + nabla::softmax(x, s.in_shape.size() == 1 ? 0 : 1) * (gv * wt)};
    }
    Tensor gx = core::empty(s.in_shape, s.dtype);
    NABLA_DISPATCH_FLOATING_TYPES(s.dtype, "nll_loss_backward", [&] {
      Tensor tgt = target.contiguous(), w = weight_as<scalar_t>(weight);
      std::vector<scalar_t> wt, gw;
      target_weights(wt, tgt.data_ptr<int64_t>(), kernels::data_or_null<scalar_t>(w), s.l, s.ignore_index);
      position_grads(gw, ops::cast(g[0], s.dtype), s.reduction, s.total, s.l.n * s.l.d);
      for (size_t p = 0; p < gw.size(); ++p) gw[p] = wt[p] == 0 ? scalar_t(0) : gw[p] * wt[p];
      cross_entropy_backward(gx.data_ptr<scalar_t>(), P.data_ptr<scalar_t>(), tgt.data_ptr<int64_t>(), gw, s.l,
                             s.ignore_index);
    });
    return {gx};
  }
};

int64_t class_dim(const Tensor& input) { return input.dim() == 1 ? 0 : 1; }

// The class weights shaped to broadcast along the class dim of input.
Tensor weight_along_classes(const Tensor& weight, const Tensor& input) {
  DimVector shape(static_cast<size_t>(input.dim()), 1);
  shape[static_cast<size_t>(class_dim(input))] = weight.size(0);
  return weight.view(shape);
}

// Cross entropy with class probabilities (PyTorch's cross_entropy_loss_prob_target).
Tensor cross_entropy_prob_target(const Tensor& self, const Tensor& target, const Tensor& weight, Reduction r,
                                 double label_smoothing) {
  const int64_t cdim = class_dim(self);
  const int64_t n_classes = self.size(cdim);
  NABLA_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == n_classes),
              "cross_entropy: weight tensor should be defined either for all ", n_classes,
              " classes or no classes but got weight tensor of shape: ", weight.sizes());
  Tensor lsm = nabla::log_softmax(self, cdim);
  Tensor t = target;
  if (label_smoothing > 0) {
    NABLA_CHECK(label_smoothing <= 1.0, "label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
    t = target * (1 - label_smoothing) + label_smoothing / static_cast<double>(n_classes);
  }
  Tensor prod = lsm * t;
  if (weight.defined()) prod = prod * weight_along_classes(weight, self);
  switch (r) {
    case Reduction::Mean:
      if (self.numel() == 0) return -prod.sum() * NAN;
      return -prod.sum() / (self.numel() / n_classes);
    case Reduction::Sum: return -prod.sum();
    case Reduction::None: break;
  }
  return -prod.sum(cdim);
}

// Cross entropy with class indices and label smoothing (PyTorch's
// cross_entropy_loss_label_smoothing): (1 - ε) nll + ε / C * (the smoothing term).
Tensor cross_entropy_label_smoothing(const Tensor& self, const Tensor& target, const Tensor& weight, Reduction r,
                                     int64_t ignore_index, double label_smoothing) {
  const int64_t cdim = class_dim(self);
  const int64_t n_classes = self.size(cdim);
  Tensor lsm = nabla::log_softmax(self, cdim);
  Tensor nll = nll_loss(lsm, target, weight.defined() ? std::optional<Tensor>(weight) : std::nullopt, r, ignore_index);
  Tensor ignore_mask = target == ignore_index;
  Tensor smooth = weight.defined() ? -(lsm * weight_along_classes(weight, self)).sum(cdim) : -lsm.sum(cdim);
  smooth = smooth.masked_fill(ignore_mask, 0.0);
  Tensor ret = smooth;
  if (r == kMean) {
    if (weight.defined()) {
      Tensor picked = weight.index_select(0, target.masked_fill(ignore_mask, 0).flatten());
      ret = smooth.sum() / picked.masked_fill(ignore_mask.flatten(), 0.0).sum();
    } else {
      ret = smooth.sum() / logical_not(ignore_mask).sum();
    }
  } else if (r == kSum) {
    ret = smooth.sum();
  }
  return nll * (1 - label_smoothing) + ret * (label_smoothing / static_cast<double>(n_classes));
}

}  // namespace

Tensor nll_loss(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight, Reduction reduction,
                int64_t ignore_index) {
  return autograd::apply<NllLoss>(self, NllConsts{target, weight ? *weight : Tensor(), reduction, ignore_index});
}

Tensor cross_entropy_loss(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight,
                          Reduction reduction, int64_t ignore_index, double label_smoothing) {
  const Tensor w = weight ? *weight : Tensor();
  if (self.sizes() == target.sizes()) {
    NABLA_CHECK(isFloatingType(target.scalar_type()),
                "Expected floating point type for target with class probabilities, got ",
                scalarTypeName(target.scalar_type()));
    NABLA_CHECK(ignore_index < 0, "ignore_index is not supported for floating point target");
    return cross_entropy_prob_target(self, target, w, reduction, label_smoothing);
  }
  if (label_smoothing > 0) {
    NABLA_CHECK(label_smoothing <= 1.0, "label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
    return cross_entropy_label_smoothing(self, target, w, reduction, ignore_index, label_smoothing);
  }
  return autograd::apply<CrossEntropy>(self, NllConsts{target, w, reduction, ignore_index});
}

namespace nn::functional {

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options) {
  return nabla::nll_loss(input, target, optional_tensor(options.weight()), options.reduction(), options.ignore_index());
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options) {
  return nabla::cross_entropy_loss(input, target, optional_tensor(options.weight()), options.reduction(),
                                   options.ignore_index(), options.label_smoothing());
}

}  // namespace nn::functional
}  // namespace nabla
