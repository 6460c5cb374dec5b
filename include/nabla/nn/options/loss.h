#pragma once
/// Options of the loss modules and of their nn::functional calls, as libtorch's.
///   nn::CrossEntropyLoss loss(nn::CrossEntropyLossOptions().label_smoothing(0.1));
///   nn::functional::mse_loss(x, y, nn::functional::MSELossFuncOptions(nabla::kSum));
#include <cstdint>
#include <variant>

#include "nabla/nn/enum.h"
#include "nabla/nn/options.h"
#include "nabla/tensor.h"

namespace nabla {

/// KLDivLoss's reduction='batchmean': the summed loss divided by the batch size.
struct BatchMeanReduction {};
inline constexpr BatchMeanReduction kBatchMean{};

}  // namespace nabla

namespace nabla::nn {

/// Options of L1Loss: mean absolute error. Converts from a reduction: L1LossOptions(nabla::kSum).
struct L1LossOptions {
  /* implicit */ L1LossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT
  NABLA_ARG(Reduction, reduction);
};

/// Options of MSELoss: mean squared error.
struct MSELossOptions {
  /* implicit */ MSELossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT
  NABLA_ARG(Reduction, reduction);
};

/// Options of SmoothL1Loss: 0.5 d² / beta where |d| < beta, |d| - 0.5 beta elsewhere.
struct SmoothL1LossOptions {
  /* implicit */ SmoothL1LossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT
  NABLA_ARG(Reduction, reduction);
  NABLA_ARG(double, beta) = 1.0;
};

/// Options of HuberLoss: 0.5 d² where |d| < delta, delta (|d| - 0.5 delta) elsewhere.
struct HuberLossOptions {
  /* implicit */ HuberLossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT
  NABLA_ARG(Reduction, reduction);
  NABLA_ARG(double, delta) = 1.0;
};

/// Options of KLDivLoss; reduction is kNone, kMean, kSum or kBatchMean.
struct KLDivLossOptions {
  using reduction_t = std::variant<Reduction, BatchMeanReduction>;
  /* implicit */ KLDivLossOptions(Reduction reduction = kMean) : reduction_(reduction) {}  // NOLINT
  /* implicit */ KLDivLossOptions(BatchMeanReduction reduction) : reduction_(reduction) {}  // NOLINT
  NABLA_ARG(reduction_t, reduction);
  /// Whether the target is given as log-probabilities.
  NABLA_ARG(bool, log_target) = false;
};

/// Options of BCELoss: weight rescales each element's loss (broadcast to the input).
struct BCELossOptions {
  NABLA_ARG(Tensor, weight) = {};
  NABLA_ARG(Reduction, reduction) = kMean;
};

/// Options of BCEWithLogitsLoss: weight per element, pos_weight per class (last dim).
struct BCEWithLogitsLossOptions {
  NABLA_ARG(Tensor, weight) = {};
  NABLA_ARG(Reduction, reduction) = kMean;
  NABLA_ARG(Tensor, pos_weight) = {};
};

/// Options of CosineEmbeddingLoss: 1 - cos for target 1, max(0, cos - margin) for target -1.
struct CosineEmbeddingLossOptions {
  NABLA_ARG(double, margin) = 0.0;
  NABLA_ARG(Reduction, reduction) = kMean;
};

/// Options of MarginRankingLoss: max(0, -y (x1 - x2) + margin).
struct MarginRankingLossOptions {
  NABLA_ARG(double, margin) = 0;
  NABLA_ARG(Reduction, reduction) = kMean;
};

/// Options of NLLLoss: class weights, a target value to ignore, the reduction.
struct NLLLossOptions {
  NABLA_ARG(Tensor, weight) = {};
  NABLA_ARG(int64_t, ignore_index) = -100;
  NABLA_ARG(Reduction, reduction) = kMean;
};

/// Options of CrossEntropyLoss: as NLLLoss, plus label smoothing in [0, 1].
struct CrossEntropyLossOptions {
  NABLA_ARG(Tensor, weight) = {};
  NABLA_ARG(int64_t, ignore_index) = -100;
  NABLA_ARG(Reduction, reduction) = kMean;
  NABLA_ARG(double, label_smoothing) = 0.0;
};

namespace functional {
using L1LossFuncOptions = L1LossOptions;
using MSELossFuncOptions = MSELossOptions;
using SmoothL1LossFuncOptions = SmoothL1LossOptions;
using HuberLossFuncOptions = HuberLossOptions;
using KLDivFuncOptions = KLDivLossOptions;
using BinaryCrossEntropyFuncOptions = BCELossOptions;
using BinaryCrossEntropyWithLogitsFuncOptions = BCEWithLogitsLossOptions;
using CosineEmbeddingLossFuncOptions = CosineEmbeddingLossOptions;
using MarginRankingLossFuncOptions = MarginRankingLossOptions;
using NLLLossFuncOptions = NLLLossOptions;
using CrossEntropyFuncOptions = CrossEntropyLossOptions;
}  // namespace functional

}  // namespace nabla::nn
