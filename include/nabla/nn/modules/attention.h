#pragma once
/// nn::MultiheadAttention, as libtorch's (plus Python's batch_first). Parameters, default
/// initialisation and printing are PyTorch's:
///   nn::MultiheadAttention mha(nn::MultiheadAttentionOptions(16, 4).batch_first(true));
///   auto [out, weights] = mha(x, x, x);        // self-attention, weights averaged over heads
///   std::cout << mha;  // MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(...)\n)
#include <cstdint>
#include <tuple>

#include "nabla/nn/module.h"
#include "nabla/nn/modules/any.h"
#include "nabla/nn/modules/linear.h"
#include "nabla/nn/options/attention.h"

namespace nabla::nn {

/// The Linear that MultiheadAttention uses as out_proj: a Linear that Python prints under
/// this name.
class NonDynamicallyQuantizableLinearImpl : public LinearImpl {
 public:
  NonDynamicallyQuantizableLinearImpl(int64_t in_features, int64_t out_features)
      : NonDynamicallyQuantizableLinearImpl(LinearOptions(in_features, out_features)) {}
  explicit NonDynamicallyQuantizableLinearImpl(const LinearOptions& options_);
};
NABLA_MODULE(NonDynamicallyQuantizableLinear);

/// Multi-head attention: softmax(Q K^T / sqrt(head_dim) + mask) V per head, with input
/// projections (in_proj_weight, or q/k/v_proj_weight when kdim or vdim differ from embed_dim)
/// and the output projection out_proj.
class MultiheadAttentionImpl : public Cloneable<MultiheadAttentionImpl> {
 public:
  MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads)
      : MultiheadAttentionImpl(MultiheadAttentionOptions(embed_dim, num_heads)) {}
  explicit MultiheadAttentionImpl(const MultiheadAttentionOptions& options_);

  /// query (L, N, E), key (S, N, kdim), value (S, N, vdim) — (N, L, E) ... when batch_first, or
  /// unbatched (L, E) ... key_padding_mask (N, S): true (or -inf) ignores a key; attn_mask
  /// (L, S) or (N * num_heads, L, S): true forbids a pair, a float mask is added. Returns
  /// (output, weights): weights (N, L, S) averaged over heads, (N, num_heads, L, S)
  /// otherwise, undefined unless need_weights.
  std::tuple<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const Tensor& key_padding_mask = {}, bool need_weights = true,
                                     const Tensor& attn_mask = {}, bool average_attn_weights = true);
  NABLA_FORWARD_HAS_DEFAULT_ARGS({3, AnyValue(Tensor())}, {4, AnyValue(true)}, {5, AnyValue(Tensor())},
                                 {6, AnyValue(true)})

  /// Creates the parameters and out_proj, then _reset_parameters().
  void reset() override;
  /// xavier_uniform_ on the input projections, zero biases, xavier_normal_ on bias_k/bias_v.
  void _reset_parameters();

  MultiheadAttentionOptions options;
  bool _qkv_same_embed_dim = true;
  Tensor in_proj_weight;
  Tensor in_proj_bias;
  Tensor bias_k;
  Tensor bias_v;
  Linear out_proj = nullptr;
  Tensor q_proj_weight;
  Tensor k_proj_weight;
  Tensor v_proj_weight;
  int64_t head_dim = 0;
};
NABLA_MODULE(MultiheadAttention);

}  // namespace nabla::nn
