#pragma once
/// Loss functions: the top-level ops (as libtorch's torch::cross_entropy_loss, torch::mse_loss,
/// ...) and their nn::functional forms with *FuncOptions.
///   auto loss = nabla::nn::functional::cross_entropy(logits, labels);   // labels: int64
///   auto l2 = nabla::mse_loss(pred, target, nabla::kSum);
#include <optional>

#include "nabla/nn/options/loss.h"
#include "nabla/tensor.h"

namespace nabla {

/// Negative log-likelihood of log-probabilities self, shaped (C), (N, C) or (N, C, d1, ...),
/// for int64 class indices target, shaped (), (N) or (N, d1, ...). Targets equal to
/// ignore_index count neither in the loss nor in the mean's total weight.
Tensor nll_loss(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight = std::nullopt,
                Reduction reduction = kMean, int64_t ignore_index = -100);
/// Cross entropy of logits self with class indices (int64, shaped as for nll_loss) or with
/// class probabilities (floating, shaped as self); log_softmax and nll in one fused op.
Tensor cross_entropy_loss(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight = std::nullopt,
                          Reduction reduction = kMean, int64_t ignore_index = -100, double label_smoothing = 0.0);
/// (self - target)², reduced.
Tensor mse_loss(const Tensor& self, const Tensor& target, Reduction reduction = kMean);
/// |self - target|, reduced.
Tensor l1_loss(const Tensor& self, const Tensor& target, Reduction reduction = kMean);
/// Smooth L1: 0.5 d² / beta where |d| < beta, |d| - 0.5 beta elsewhere.
Tensor smooth_l1_loss(const Tensor& self, const Tensor& target, Reduction reduction = kMean, double beta = 1.0);
/// Huber: 0.5 d² where |d| < delta, delta (|d| - 0.5 delta) elsewhere.
Tensor huber_loss(const Tensor& self, const Tensor& target, Reduction reduction = kMean, double delta = 1.0);
/// Binary cross entropy of probabilities self in [0, 1] (logs clamped at -100).
Tensor binary_cross_entropy(const Tensor& self, const Tensor& target, const std::optional<Tensor>& weight = std::nullopt,
                            Reduction reduction = kMean);
/// Binary cross entropy of logits (numerically stable); pos_weight weighs the positive term
/// per class (broadcast along the last dim).
Tensor binary_cross_entropy_with_logits(const Tensor& self, const Tensor& target,
                                        const std::optional<Tensor>& weight = std::nullopt,
                                        const std::optional<Tensor>& pos_weight = std::nullopt,
                                        Reduction reduction = kMean);
/// Kullback-Leibler divergence of log-probabilities self from target (probabilities, or
/// log-probabilities with log_target).
Tensor kl_div(const Tensor& self, const Tensor& target, Reduction reduction = kMean, bool log_target = false);
/// 1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1.
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                             Reduction reduction = kMean);
/// max(0, -target * (input1 - input2) + margin), reduced.
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                           Reduction reduction = kMean);

namespace nn::functional {

/// An undefined tensor (the options' default) means none.
inline std::optional<Tensor> optional_tensor(const Tensor& t) {
  return t.defined() ? std::optional<Tensor>(t) : std::nullopt;
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options = {});
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options = {});
/// beta given here overrides options.beta() (libtorch's extra argument).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options = {},
                      std::optional<double> beta = std::nullopt);
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& options = {});
/// kl_div with reduction kBatchMean divides the summed loss by the batch size (input.size(0)).
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& options = {});
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyFuncOptions& options = {});
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options = {});
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                             const CosineEmbeddingLossFuncOptions& options = {});
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target,
                           const MarginRankingLossFuncOptions& options = {});
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options = {});
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options = {});

}  // namespace nn::functional
}  // namespace nabla
