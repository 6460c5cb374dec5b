// Elementwise and pairwise losses: mse, l1, smooth_l1, huber, binary_cross_entropy (and with
// logits), kl_div, cosine_embedding, margin_ranking; and their nn::functional forms.
//
// Losses that PyTorch records as one node (MseLossBackward0, SmoothL1LossBackward0,
// HuberLossBackward0, BinaryCrossEntropyBackward0, BinaryCrossEntropyWithLogitsBackward0) are
// ops here too; their backward formulas are written with differentiable ops, so double
// backward works. The others are compositions, as in PyTorch.
#include "nabla/nn/functional/loss.h"
#include "nabla/warning.h"
#include "ops/elementwise_common.h"
#include "ops/nn_loss.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;
using ops::apply_loss_reduction;

namespace {

// The gradient of the reduced loss as a factor of each element's gradient.
Tensor element_grad(const Tensor& g, Reduction r, int64_t numel) { return r == kMean ? g / numel : g; }

// Python's torch.Size repr, as loss messages print sizes.
std::string torch_size(IntArrayRef s) { return detail::str("torch.Size(", s, ")"); }

void check_floating(const Tensor& t, const char* kernel) {
  NABLA_CHECK(isFloatingType(t.scalar_type()), "\"", kernel, "\" not implemented for '", scalarTypeName(t.scalar_type()),
              "'");
}

// Gradients {g, -g} for an elementwise loss of (x - t), each only where needed.
variable_list difference_grads(Ctx& ctx, const Tensor& gx) {
  return {ctx.needs_input_grad(0) ? gx : Tensor(), ctx.needs_input_grad(1) ? -gx : Tensor()};
}

struct MseLoss {
  static constexpr const char* name = "MseLossBackward0";
  Reduction r = kMean;
  int64_t numel = 0;
  Tensor forward(Ctx& ctx, const Tensor& x, const Tensor& t, Reduction r_) {
    r = r_;
    check_floating(x, "mse_cpu");
    ctx.save(x, t);
    Tensor d = x - t;
    numel = d.numel();
    return apply_loss_reduction(d * d, r);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, t] = ctx.saved<2>();
    return difference_grads(ctx, element_grad(g[0], r, numel) * 2 * (x - t));
  }
};

// Smooth L1 (PyTorch's formula): 0.5 d² / beta where |d| < beta, |d| - 0.5 beta elsewhere.
struct SmoothL1Loss {
  static constexpr const char* name = "SmoothL1LossBackward0";
  Reduction r = kMean;
  double beta = 1;
  int64_t numel = 0;
  Tensor forward(Ctx& ctx, const Tensor& x, const Tensor& t, Reduction r_, double beta_) {
    r = r_;
    beta = beta_;
    check_floating(x, "smooth_l1_cpu");
    ctx.save(x, t);
    Tensor d = x - t, ad = d.abs();
    numel = d.numel();
    return apply_loss_reduction(where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta), r);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, t] = ctx.saved<2>();
    Tensor d = x - t;
    return difference_grads(ctx, element_grad(g[0], r, numel) * where(d.abs() < beta, d / beta, d.sign()));
  }
};

// Huber: 0.5 d² where |d| < delta, delta (|d| - 0.5 delta) elsewhere; its gradient is
// clamp(d, -delta, delta).
struct HuberLoss {
  static constexpr const char* name = "HuberLossBackward0";
  Reduction r = kMean;
  double delta = 1;
  int64_t numel = 0;
  Tensor forward(Ctx& ctx, const Tensor& x, const Tensor& t, Reduction r_, double delta_) {
    r = r_;
    delta = delta_;
    check_floating(x, "huber_cpu");
    ctx.save(x, t);
    Tensor d = x - t, ad = d.abs();
    numel = d.numel();
    return apply_loss_reduction(where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta), r);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, t] = ctx.saved<2>();
    return difference_grads(ctx, element_grad(g[0], r, numel) * (x - t).clamp(-delta, delta));
  }
};

// Constant weights of the binary cross entropies (no gradient flows into them).
struct BceConsts {
  Tensor weight, pos_weight;
  Reduction reduction = kMean;
};

Tensor weighted(const Tensor& t, const Tensor& w) { return w.defined() ? t * w : t; }

struct BinaryCrossEntropy {
  static constexpr const char* name = "BinaryCrossEntropyBackward0";
  BceConsts k;
  int64_t numel = 0;
  Tensor forward(Ctx& ctx, const Tensor& x, const Tensor& t, const BceConsts& k_) {
    k = k_;
    check_floating(x, "binary_cross_entropy");
    NABLA_CHECK(logical_and(x >= 0, x <= 1).all().item<bool>(), "all elements of input should be between 0 and 1");
    ctx.save(x, t);
    Tensor loss = (t - 1) * (-x).log1p().clamp_min(-100) - t * x.log().clamp_min(-100);
    loss = weighted(loss, k.weight);
    numel = loss.numel();
    return apply_loss_reduction(loss, k.reduction);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, t] = ctx.saved<2>();
    Tensor ge = weighted(element_grad(g[0], k.reduction, numel), k.weight);
    Tensor gx, gt;
    // PyTorch's EPSILON is the float 1e-12 (9.9999999600e-13), also for double inputs.
    if (ctx.needs_input_grad(0)) gx = ge * (x - t) / ((1 - x) * x).clamp_min(static_cast<double>(1e-12f));
    if (ctx.needs_input_grad(1)) gt = ge * ((-x).log1p() - x.log());
    return {gx, gt};
  }
};

// log(sigmoid(x)) without overflow.
Tensor log_sigmoid(const Tensor& x) { return -((-x).clamp_min(0) + (-x.abs()).exp().log1p()); }

// The stable form: (1 - t) x + lw (log(1 + exp(-x))), lw = 1 + (pos_weight - 1) t.
struct BinaryCrossEntropyWithLogits {
  static constexpr const char* name = "BinaryCrossEntropyWithLogitsBackward0";
  BceConsts k;
  int64_t numel = 0;
  Tensor forward(Ctx& ctx, const Tensor& x, const Tensor& t, const BceConsts& k_) {
    k = k_;
    check_floating(x, "binary_cross_entropy_with_logits");
    ctx.save(x, t);
    Tensor softplus_neg = -log_sigmoid(x);  // log(1 + exp(-x))
    Tensor loss = k.pos_weight.defined() ? (1 - t) * x + ((k.pos_weight - 1) * t + 1) * softplus_neg
                                         : (1 - t) * x + softplus_neg;
    loss = weighted(loss, k.weight);
    numel = loss.numel();
    return apply_loss_reduction(loss, k.reduction);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, t] = ctx.saved<2>();
    Tensor ge = weighted(element_grad(g[0], k.reduction, numel), k.weight);
    Tensor gx, gt;
    if (ctx.needs_input_grad(0)) {
      if (k.pos_weight.defined()) {
        Tensor pt = k.pos_weight * t;
        gx = ge * ((pt + 1 - t) * x.sigmoid() - pt);
      } else {
        gx = ge * (x.sigmoid() - t);
      }
    }
    if (ctx.needs_input_grad(1))
      gt = k.pos_weight.defined() ? ge * (-x - (k.pos_weight - 1) * log_sigmoid(x)) : ge * -x;
    return {gx, gt};
  }
};

// t log t, 0 where t is 0 (torch.xlogy(t, t)).
Tensor xlogy_self(const Tensor& t) { return t * where(t == 0, 1.0, t).log(); }

void warn_target_size(const Tensor& input, const Tensor& target) {
  if (input.sizes() == target.sizes()) return;
  warn(detail::str("Using a target size (", torch_size(target.sizes()), ") that is different to the input size (",
                   torch_size(input.sizes()),
                   "). This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                   "same size."));
}

}  // namespace

Tensor mse_loss(const Tensor& self, const Tensor& target, Reduction reduction) {
  return autograd::apply<MseLoss>(self, target, reduction);
}

Tensor l1_loss(const Tensor& self, const Tensor& target, Reduction reduction) {
  return apply_loss_reduction((self - target).abs(), reduction);
}

Tensor smooth_l1_loss(const Tensor& self, const Tensor& target, Reduction reduction, double beta) {
  NABLA_CHECK(beta >= 0, "smooth_l1_loss does not support negative values for beta.");
  return autograd::apply<SmoothL1Loss>(self, target, reduction, beta);
}

Tensor huber_loss(const Tensor& self, const Tensor& target, Reduction reduction, double delta) {
  NABLA_CHECK(delta > 0, "huber_loss does not support non-positive values for delta.");
  return autograd::apply<HuberLoss>(self, target, reduction, delta);
}

Tensor binary_cross_entropy(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight,
                            Reduction reduction) {
  NABLA_CHECK(self.sizes() == target.sizes(), "Using a target size (", torch_size(target.sizes()),
              ") that is different to the input size (", torch_size(self.sizes()),
              ") is deprecated. Please ensure they have the same size.");
  return autograd::apply<BinaryCrossEntropy>(self, target, BceConsts{weight ? *weight : Tensor(), Tensor(), reduction});
}

Tensor binary_cross_entropy_with_logits(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight,
                                        const std::optional<Tensor>& pos_weight, Reduction reduction) {
  NABLA_CHECK(self.sizes() == target.sizes(), "Target size (", torch_size(target.sizes()),
              ") must be the same as input size (", torch_size(self.sizes()), ")");
  return autograd::apply<BinaryCrossEntropyWithLogits>(
      self, target, BceConsts{weight ? *weight : Tensor(), pos_weight ? *pos_weight : Tensor(), reduction});
}

Tensor kl_div(const Tensor& self, const Tensor& target, Reduction reduction, bool log_target) {
  Tensor out = log_target ? target.exp() * (target - self) : xlogy_self(target) - target * self;
  return apply_loss_reduction(out, reduction);
}

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                             Reduction reduction) {
  const int64_t tdim = target.dim();
  NABLA_CHECK(tdim == 1 || tdim == 0, "0D or 1D target tensor expected, multi-target not supported");
  if (tdim == 1) {
    NABLA_CHECK(input1.dim() == 2 && input2.dim() == 2, "1D target tensor expects 2D input tensors, but found inputs with sizes ",
                input1.sizes(), " and ", input2.sizes(), ".");
  } else {
    NABLA_CHECK(input1.dim() == 1 && input2.dim() == 1, "0D target tensor expects 1D input tensors, but found inputs with sizes ",
                input1.sizes(), " and ", input2.sizes(), ".");
  }
  constexpr double kEps = 1e-12;
  Tensor prod_sum = (input1 * input2).sum({tdim});
  Tensor mag1 = (input1 * input1).sum({tdim}) + kEps;
  Tensor mag2 = (input2 * input2).sum({tdim}) + kEps;
  Tensor cos = prod_sum / (mag1 * mag2).sqrt();
  Tensor pos = 1 - cos;
  Tensor neg = (cos - margin).clamp_min(0);
  Tensor out = where(target == 1, pos, 0.0) + where(target == -1, neg, 0.0);
  return apply_loss_reduction(out, reduction);
}

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                           Reduction reduction) {
  return apply_loss_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction);
}

namespace nn::functional {

Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options) {
  warn_target_size(input, target);
  return nabla::l1_loss(input, target, options.reduction());
}

Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options) {
  warn_target_size(input, target);
  return nabla::mse_loss(input, target, options.reduction());
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options,
                      std::optional<double> beta) {
  warn_target_size(input, target);
  return nabla::smooth_l1_loss(input, target, options.reduction(), beta.value_or(options.beta()));
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& options) {
  warn_target_size(input, target);
  return nabla::huber_loss(input, target, options.reduction(), options.delta());
}

Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& options) {
  if (const auto* r = std::get_if<Reduction>(&options.reduction())) {
    if (*r == kMean)
      warn(
          "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' divides "
          "only by the batch size, and aligns with the KL div math definition.'mean' will be changed to behave the "
          "same as 'batchmean' in the next major release.");
    return nabla::kl_div(input, target, *r, options.log_target());
  }
  Tensor sum = nabla::kl_div(input, target, kSum, options.log_target());
  return input.dim() == 0 ? sum : sum / input.size(0);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BinaryCrossEntropyFuncOptions& options) {
  return nabla::binary_cross_entropy(input, target, optional_tensor(options.weight()), options.reduction());
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options) {
  return nabla::binary_cross_entropy_with_logits(input, target, optional_tensor(options.weight()),
                                                 optional_tensor(options.pos_weight()), options.reduction());
}

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             const CosineEmbeddingLossFuncOptions& options) {
  return nabla::cosine_embedding_loss(input1, input2, target, options.margin(), options.reduction());
}

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingLossFuncOptions& options) {
  NABLA_CHECK(input1.dim() == input2.dim() && input1.dim() == target.dim(),
              "margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: ",
              torch_size(input1.sizes()), ", input2: ", torch_size(input2.sizes()), ", target: ",
              torch_size(target.sizes()), " ");
  return nabla::margin_ranking_loss(input1, input2, target, options.margin(), options.reduction());
}

}  // namespace nn::functional
}  // namespace nabla
