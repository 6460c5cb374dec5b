// nn::MultiheadAttention: parameters and PyTorch's initialisation; the computation is
// nn::functional::multi_head_attention_forward (src/ops/nn_attention.cpp).
#include "nabla/nn/modules/attention.h"

#include "nabla/functions.h"
#include "nabla/nn/functional/attention.h"
#include "nabla/nn/init.h"

namespace nabla::nn {

NonDynamicallyQuantizableLinearImpl::NonDynamicallyQuantizableLinearImpl(const LinearOptions& options_)
    : LinearImpl(options_) {
  // Fix the printed name now (a clone copies it; it would otherwise say Linear).
  (void)name();
}

MultiheadAttentionImpl::MultiheadAttentionImpl(const MultiheadAttentionOptions& options_) : options(options_) {
  reset();
}

void MultiheadAttentionImpl::reset() {
  const int64_t E = options.embed_dim();
  _qkv_same_embed_dim = options.kdim() == E && options.vdim() == E;
  head_dim = E / options.num_heads();
  NABLA_CHECK(head_dim * options.num_heads() == E, "embed_dim must be divisible by num_heads");
  // Registration order as Python's (unused projections registered undefined, like its None).
  if (_qkv_same_embed_dim) {
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * E, E}));
    q_proj_weight = register_parameter("q_proj_weight", Tensor(), false);
    k_proj_weight = register_parameter("k_proj_weight", Tensor(), false);
    v_proj_weight = register_parameter("v_proj_weight", Tensor(), false);
  } else {
    q_proj_weight = register_parameter("q_proj_weight", empty({E, E}));
    k_proj_weight = register_parameter("k_proj_weight", empty({E, options.kdim()}));
    v_proj_weight = register_parameter("v_proj_weight", empty({E, options.vdim()}));
    in_proj_weight = register_parameter("in_proj_weight", Tensor(), false);
  }
  in_proj_bias = register_parameter("in_proj_bias", options.bias() ? empty({3 * E}) : Tensor(), options.bias());
  // out_proj initialises itself (as Python's Linear does) before _reset_parameters draws.
  std::shared_ptr<LinearImpl> proj =
      std::make_shared<NonDynamicallyQuantizableLinearImpl>(LinearOptions(E, E).bias(options.bias()));
  out_proj = register_module("out_proj", Linear(proj));
  if (options.add_bias_kv()) {
    bias_k = register_parameter("bias_k", empty({1, 1, E}));
    bias_v = register_parameter("bias_v", empty({1, 1, E}));
  } else {
    bias_k = Tensor();
    bias_v = Tensor();
  }
  _reset_parameters();
}

void MultiheadAttentionImpl::_reset_parameters() {
  if (_qkv_same_embed_dim) {
    init::xavier_uniform_(in_proj_weight);
  } else {
    init::xavier_uniform_(q_proj_weight);
    init::xavier_uniform_(k_proj_weight);
    init::xavier_uniform_(v_proj_weight);
  }
  if (in_proj_bias.defined()) {
    init::constant_(in_proj_bias, 0.);
    init::constant_(out_proj->bias, 0.);
  }
  if (bias_k.defined()) init::xavier_normal_(bias_k);
  if (bias_v.defined()) init::xavier_normal_(bias_v);
}

std::tuple<Tensor, Tensor> MultiheadAttentionImpl::forward(const Tensor& query_in, const Tensor& key_in,
                                                           const Tensor& value_in, const Tensor& key_padding_mask,
                                                           bool need_weights, const Tensor& attn_mask,
                                                           bool average_attn_weights) {
  const bool is_batched = query_in.dim() == 3;
  if (key_padding_mask.defined())
    NABLA_CHECK(key_padding_mask.scalar_type() == kBool || key_padding_mask.is_floating_point(),
                "only bool and floating types of key_padding_mask are supported");
  Tensor query = query_in, key = key_in, value = value_in;
  const bool transpose = options.batch_first() && is_batched;
  if (transpose) {
    // Shared inputs stay shared (self-attention projects them with one GEMM).
    query = query_in.transpose(1, 0);
    key = key_in.is_same(query_in) ? query : key_in.transpose(1, 0);
    value = value_in.is_same(key_in) ? key : value_in.transpose(1, 0);
  }
  auto fo = functional::MultiheadAttentionForwardFuncOptions(options.embed_dim(), options.num_heads(), in_proj_weight,
                                                             in_proj_bias, bias_k, bias_v, options.add_zero_attn(),
                                                             options.dropout(), out_proj->weight, out_proj->bias)
                .training(is_training())
                .key_padding_mask(key_padding_mask)
                .need_weights(need_weights)
                .attn_mask(attn_mask)
                .average_attn_weights(average_attn_weights);
  if (!_qkv_same_embed_dim)
    fo.use_separate_proj_weight(true)
        .q_proj_weight(q_proj_weight)
        .k_proj_weight(k_proj_weight)
        .v_proj_weight(v_proj_weight);
  auto [out, weights] = functional::multi_head_attention_forward(query, key, value, fo);
  if (transpose) return {out.transpose(1, 0), weights};
  return {out, weights};
}

}  // namespace nabla::nn
