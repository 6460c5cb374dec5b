#pragma once
/// Loss modules, as libtorch's: L1Loss, MSELoss, SmoothL1Loss, HuberLoss, KLDivLoss, BCELoss,
/// BCEWithLogitsLoss, CosineEmbeddingLoss, MarginRankingLoss, NLLLoss, CrossEntropyLoss.
/// Class weights are buffers ("weight", "pos_weight"), as in PyTorch; they print as Python
/// (`CrossEntropyLoss()`).
///   nn::CrossEntropyLoss criterion;
///   auto loss = criterion(logits, labels);
///   loss.backward();
#include "nabla/nn/functional/loss.h"
#include "nabla/nn/module.h"
#include "nabla/nn/options/loss.h"

namespace nabla::nn {

/// Mean absolute error.
class L1LossImpl : public Cloneable<L1LossImpl> {
 public:
  explicit L1LossImpl(const L1LossOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input, const Tensor& target);
  L1LossOptions options;
};
NABLA_MODULE(L1Loss);

/// Mean squared error.
class MSELossImpl : public Cloneable<MSELossImpl> {
 public:
  explicit MSELossImpl(const MSELossOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input, const Tensor& target);
  MSELossOptions options;
};
NABLA_MODULE(MSELoss);

/// Smooth L1 (quadratic below beta, linear above).
class SmoothL1LossImpl : public Cloneable<SmoothL1LossImpl> {
 public:
  explicit SmoothL1LossImpl(const SmoothL1LossOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input, const Tensor& target);
  SmoothL1LossOptions options;
};
NABLA_MODULE(SmoothL1Loss);

/// Huber (quadratic below delta, linear above).
class HuberLossImpl : public Cloneable<HuberLossImpl> {
 public:
  explicit HuberLossImpl(const HuberLossOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input, const Tensor& target);
  HuberLossOptions options;
};
NABLA_MODULE(HuberLoss);

/// Kullback-Leibler divergence of log-probabilities from a target distribution.
class KLDivLossImpl : public Cloneable<KLDivLossImpl> {
 public:
  explicit KLDivLossImpl(const KLDivLossOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input, const Tensor& target);
  KLDivLossOptions options;
};
NABLA_MODULE(KLDivLoss);

/// Binary cross entropy of probabilities; the weight buffer rescales each element.
class BCELossImpl : public Cloneable<BCELossImpl> {
 public:
  explicit BCELossImpl(const BCELossOptions& options_ = {});
  /// Registers the weight buffer.
  void reset() override;
  Tensor forward(const Tensor& input, const Tensor& target);
  BCELossOptions options;
  Tensor weight;
};
NABLA_MODULE(BCELoss);

/// Binary cross entropy of logits (stable); weight and pos_weight are buffers.
class BCEWithLogitsLossImpl : public Cloneable<BCEWithLogitsLossImpl> {
 public:
  explicit BCEWithLogitsLossImpl(const BCEWithLogitsLossOptions& options_ = {});
  /// Registers the weight and pos_weight buffers.
  void reset() override;
  Tensor forward(const Tensor& input, const Tensor& target);
  BCEWithLogitsLossOptions options;
  Tensor weight, pos_weight;
};
NABLA_MODULE(BCEWithLogitsLoss);

/// 1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1.
class CosineEmbeddingLossImpl : public Cloneable<CosineEmbeddingLossImpl> {
 public:
  explicit CosineEmbeddingLossImpl(const CosineEmbeddingLossOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target);
  CosineEmbeddingLossOptions options;
};
NABLA_MODULE(CosineEmbeddingLoss);

/// max(0, -y (x1 - x2) + margin).
class MarginRankingLossImpl : public Cloneable<MarginRankingLossImpl> {
 public:
  explicit MarginRankingLossImpl(const MarginRankingLossOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input1, const Tensor& input2, const Tensor& target);
  MarginRankingLossOptions options;
};
NABLA_MODULE(MarginRankingLoss);

/// Negative log-likelihood of log-probabilities; the class weights are the weight buffer.
class NLLLossImpl : public Cloneable<NLLLossImpl> {
 public:
  explicit NLLLossImpl(const NLLLossOptions& options_ = {});
  /// Registers the weight buffer.
  void reset() override;
  Tensor forward(const Tensor& input, const Tensor& target);
  NLLLossOptions options;
  Tensor weight;
};
NABLA_MODULE(NLLLoss);

/// Cross entropy of logits with class indices or probabilities; the class weights are the
/// weight buffer.
class CrossEntropyLossImpl : public Cloneable<CrossEntropyLossImpl> {
 public:
  explicit CrossEntropyLossImpl(const CrossEntropyLossOptions& options_ = {});
  /// Registers the weight buffer.
  void reset() override;
  Tensor forward(const Tensor& input, const Tensor& target);
  CrossEntropyLossOptions options;
  Tensor weight;
};
NABLA_MODULE(CrossEntropyLoss);

}  // namespace nabla::nn
