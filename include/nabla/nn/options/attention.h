#pragma once
/// Options of nn::MultiheadAttention and nn::functional::multi_head_attention_forward /
/// scaled_dot_product_attention, as libtorch's (plus Python's batch_first).
///   nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(64, 8).dropout(0.1).batch_first(true));
#include <cstdint>
#include <optional>

#include "nabla/nn/options.h"
#include "nabla/tensor.h"

namespace nabla::nn {

/// Options of nn::MultiheadAttention. kdim and vdim default to embed_dim.
struct MultiheadAttentionOptions {
  MultiheadAttentionOptions(int64_t embed_dim, int64_t num_heads)
      : embed_dim_(embed_dim), num_heads_(num_heads), kdim_(embed_dim), vdim_(embed_dim) {}
  /// Total dimension of the model (split across the heads).
  NABLA_ARG(int64_t, embed_dim);
  /// Parallel attention heads; embed_dim must be divisible by it.
  NABLA_ARG(int64_t, num_heads);
  /// Dropout probability on the attention weights (in training).
  NABLA_ARG(double, dropout) = 0.0;
  /// Biases of the input and output projections.
  NABLA_ARG(bool, bias) = true;
  /// Learned biases appended to the keys and values along the sequence.
  NABLA_ARG(bool, add_bias_kv) = false;
  /// A zero key and value appended along the sequence.
  NABLA_ARG(bool, add_zero_attn) = false;
  /// Features of the keys.
  NABLA_ARG(int64_t, kdim);
  /// Features of the values.
  NABLA_ARG(int64_t, vdim);
  /// Inputs and output as (batch, seq, feature) instead of (seq, batch, feature).
  NABLA_ARG(bool, batch_first) = false;
};

namespace functional {

/// Options of nn::functional::multi_head_attention_forward (Python's arguments, libtorch's names).
struct MultiheadAttentionForwardFuncOptions {
  MultiheadAttentionForwardFuncOptions(int64_t embed_dim_to_check, int64_t num_heads, Tensor in_proj_weight,
                                       Tensor in_proj_bias, Tensor bias_k, Tensor bias_v, bool add_zero_attn,
                                       double dropout_p, Tensor out_proj_weight, Tensor out_proj_bias)
      : embed_dim_to_check_(embed_dim_to_check),
        num_heads_(num_heads),
        in_proj_weight_(std::move(in_proj_weight)),
        in_proj_bias_(std::move(in_proj_bias)),
        bias_k_(std::move(bias_k)),
        bias_v_(std::move(bias_v)),
        add_zero_attn_(add_zero_attn),
        dropout_p_(dropout_p),
        out_proj_weight_(std::move(out_proj_weight)),
        out_proj_bias_(std::move(out_proj_bias)) {}

  NABLA_ARG(int64_t, embed_dim_to_check);
  NABLA_ARG(int64_t, num_heads);
  /// (3 * embed_dim, embed_dim): the packed q, k, v projections (unless use_separate_proj_weight).
  NABLA_ARG(Tensor, in_proj_weight);
  NABLA_ARG(Tensor, in_proj_bias);
  /// (1, 1, embed_dim) each, appended to the keys / values; used only when both are given.
  NABLA_ARG(Tensor, bias_k);
  NABLA_ARG(Tensor, bias_v);
  NABLA_ARG(bool, add_zero_attn);
  NABLA_ARG(double, dropout_p);
  NABLA_ARG(Tensor, out_proj_weight);
  NABLA_ARG(Tensor, out_proj_bias);
  /// Dropout applies only when training.
  NABLA_ARG(bool, training) = true;
  /// (batch, src_len): true (or -inf when float) marks keys to ignore.
  NABLA_ARG(Tensor, key_padding_mask) = {};
  /// Return the attention weights too (otherwise the second result is undefined).
  NABLA_ARG(bool, need_weights) = true;
  /// (tgt_len, src_len) or (batch * num_heads, tgt_len, src_len): true marks pairs not allowed
  /// to attend; a float mask is added to the scores.
  NABLA_ARG(Tensor, attn_mask) = {};
  /// Project with q_proj_weight, k_proj_weight, v_proj_weight instead of in_proj_weight.
  NABLA_ARG(bool, use_separate_proj_weight) = false;
  NABLA_ARG(Tensor, q_proj_weight) = {};
  NABLA_ARG(Tensor, k_proj_weight) = {};
  NABLA_ARG(Tensor, v_proj_weight) = {};
  /// Projected keys / values to use as they are, (batch * num_heads, src_len, head_dim).
  NABLA_ARG(Tensor, static_k) = {};
  NABLA_ARG(Tensor, static_v) = {};
  /// Average the returned weights over the heads (otherwise one map per head).
  NABLA_ARG(bool, average_attn_weights) = true;
};

/// Options of nn::functional::scaled_dot_product_attention.
struct ScaledDotProductAttentionFuncOptions {
  /// Boolean (true = may attend) or float (added to the scores) mask, broadcast to
  /// (..., L, S).
  NABLA_ARG(Tensor, attn_mask) = {};
  /// Dropout probability on the attention weights (always applied when > 0).
  NABLA_ARG(double, dropout_p) = 0.0;
  /// Mask out the upper triangle (token i attends to keys 0..i); no attn_mask allowed.
  NABLA_ARG(bool, is_causal) = false;
  /// Scale of the scores; 1 / sqrt(E) when not given.
  NABLA_ARG(std::optional<double>, scale) = std::nullopt;
};

}  // namespace functional
}  // namespace nabla::nn
