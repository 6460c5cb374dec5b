#pragma once
/// Attention: nabla::scaled_dot_product_attention (PyTorch 2's torch::scaled_dot_product_attention)
/// and nn::functional::multi_head_attention_forward (what nn::MultiheadAttention runs).
///   auto out = nabla::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true);
///   namespace F = nabla::nn::functional;
///   auto [y, w] = F::multi_head_attention_forward(q, k, v, F::MultiheadAttentionForwardFuncOptions(...));
#include <optional>
#include <tuple>

#include "nabla/nn/options/attention.h"
#include "nabla/tensor.h"

namespace nabla {

/// softmax(query key^T * scale + mask) value over the last two dims, batch dims broadcast:
/// query (..., L, E), key (..., S, E), value (..., S, Ev) → (..., L, Ev). attn_mask is boolean
/// (true = may attend) or floating (added to the scores); is_causal masks keys after each query
/// position (lower-triangular); scale defaults to 1 / sqrt(E); dropout (probability
/// dropout_p) applies to the attention weights whenever dropout_p > 0.
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = {}, double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = std::nullopt);

namespace nn::functional {

/// torch.nn.functional.scaled_dot_product_attention.
inline Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                           const ScaledDotProductAttentionFuncOptions& options = {}) {
  return nabla::scaled_dot_product_attention(query, key, value, options.attn_mask(), options.dropout_p(),
                                             options.is_causal(), options.scale());
}

/// torch.nn.functional.multi_head_attention_forward: query (L, N, E) or unbatched (L, E), key
/// and value (S, N, kdim/vdim). Returns (output (L, N, E), weights (N, L, S), or
/// (N, num_heads, L, S) without average_attn_weights; undefined unless need_weights).
std::tuple<Tensor, Tensor> multi_head_attention_forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                        const MultiheadAttentionForwardFuncOptions& options);

}  // namespace nn::functional
}  // namespace nabla
