#pragma once
// Shared by the loss files (nn_loss.cpp, nn_loss_pointwise.cpp).
#include "nabla/nn/enum.h"
#include "nabla/tensor.h"

namespace nabla::ops {

/// A loss of per-element values reduced as asked: mean, sum, or the values themselves.
inline Tensor apply_loss_reduction(const Tensor& loss, Reduction r) {
  return r == kMean ? loss.mean() : r == kSum ? loss.sum() : loss;
}

}  // namespace nabla::ops
