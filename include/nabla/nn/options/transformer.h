#pragma once
/// Options of nn::TransformerEncoderLayer, as libtorch's (plus Python's layer_norm_eps,
/// batch_first and norm_first); TransformerEncoderOptions is in nabla/nn/modules/transformer.h.
///   nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(64, 4).dim_feedforward(128)
///                                         .activation(nabla::kGELU).batch_first(true));
///   nn::TransformerEncoder encoder(nn::TransformerEncoderOptions(layer, 2));
#include <cstdint>
#include <functional>
#include <variant>

#include "nabla/nn/enum.h"
#include "nabla/nn/options.h"
#include "nabla/tensor.h"

namespace nabla {

/// The GELU activation of the Transformer layers (libtorch's torch::kGELU).
struct GELUActivation {};
inline constexpr GELUActivation kGELU{};

}  // namespace nabla

namespace nabla::nn {

/// A Transformer layer's feed-forward activation, as libtorch's activation_t: kReLU, kGELU
/// or any function of a tensor.
using activation_t = std::variant<Nonlinearity, GELUActivation, std::function<Tensor(const Tensor&)>>;

/// Options of nn::TransformerEncoderLayer.
struct TransformerEncoderLayerOptions {
  TransformerEncoderLayerOptions(int64_t d_model, int64_t nhead) : d_model_(d_model), nhead_(nhead) {}
  /// Features of the input.
  NABLA_ARG(int64_t, d_model);
  /// Heads of the self-attention.
  NABLA_ARG(int64_t, nhead);
  /// Width of the feed-forward block.
  NABLA_ARG(int64_t, dim_feedforward) = 2048;
  /// Dropout in the attention, after it and in the feed-forward block (in training).
  NABLA_ARG(double, dropout) = 0.1;
  /// kReLU, kGELU or a function.
  NABLA_ARG(activation_t, activation) = kReLU;
  /// eps of the two LayerNorms.
  NABLA_ARG(double, layer_norm_eps) = 1e-5;
  /// Input and output as (batch, seq, feature) instead of (seq, batch, feature).
  NABLA_ARG(bool, batch_first) = false;
  /// LayerNorm before each block (pre-norm) instead of after the residual sum.
  NABLA_ARG(bool, norm_first) = false;
};

}  // namespace nabla::nn
