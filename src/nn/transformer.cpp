// nn::TransformerEncoderLayer, nn::TransformerEncoder, their decoder pair and
// generate_square_subsequent_mask,
// composed of MultiheadAttention, Linear, Dropout and LayerNorm in Python's order, so that
// initialisation and dropout draw the same random numbers as PyTorch.
#include "nabla/nn/modules/transformer.h"

#include <limits>

#include "nabla/functions.h"
#include "nabla/nn/functional/activation.h"

namespace nabla::nn {

namespace {

// Python's _ff_block: linear2(dropout(activation(linear1(x)))), then the block's dropout.
Tensor feed_forward(const activation_t& act, Linear& linear1, Dropout& dropout, Linear& linear2, Dropout& out_dropout,
                    const Tensor& x) {
  Tensor h = linear1(x);
  if (const auto* n = std::get_if<Nonlinearity>(&act)) {
    NABLA_CHECK(*n == kReLU, "activation should be relu/gelu, not ", enum_name(*n));
    h = h.relu();
  } else if (std::holds_alternative<GELUActivation>(act)) {
    h = nabla::gelu(h);
  } else {
    h = std::get<std::function<Tensor(const Tensor&)>>(act)(h);
  }
  return out_dropout(linear2(dropout(h)));
}

MultiheadAttention attention(const TransformerEncoderLayerOptions& o) {
  return MultiheadAttention(
      MultiheadAttentionOptions(o.d_model(), o.nhead()).dropout(o.dropout()).batch_first(o.batch_first()));
}

LayerNorm layer_norm(const TransformerEncoderLayerOptions& o) {
  return LayerNorm(LayerNormOptions({o.d_model()}).eps(o.layer_norm_eps()));
}

// x attending to kv (Python's _sa_block / _mha_block without the dropout).
Tensor attend(MultiheadAttention& attn, const Tensor& x, const Tensor& kv, const Tensor& mask,
              const Tensor& key_padding_mask) {
  return std::get<0>(attn(x, kv, kv, key_padding_mask, /*need_weights=*/false, mask));
}

// Clones of layer in a ModuleList (Python's _get_clones: deep copies with the same weights).
template <typename Holder>
ModuleList clones(const Holder& layer, int64_t n, const char* owner) {
  NABLA_CHECK(!layer.is_empty(), owner, ": the layer must be given");
  ModuleList list;
  for (int64_t i = 0; i < n; ++i) list->push_back(layer->clone());
  return list;
}

}  // namespace

Tensor generate_square_subsequent_mask(int64_t sz) {
  NABLA_CHECK(sz >= 0, "generate_square_subsequent_mask: expected a non-negative size, got ", sz);
  return triu(full({sz, sz}, -std::numeric_limits<double>::infinity()), 1);
}

// ---- TransformerEncoderLayer -------------------------------------------------------------------

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(TransformerEncoderLayerOptions options_)
    : options(std::move(options_)) {
  reset();
}

void TransformerEncoderLayerImpl::reset() {
  // Python's __init__ order: the initialisations draw from the generator in this order.
  self_attn = register_module("self_attn", attention(options));
  linear1 = register_module("linear1", Linear(options.d_model(), options.dim_feedforward()));
  dropout = register_module("dropout", Dropout(options.dropout()));
  linear2 = register_module("linear2", Linear(options.dim_feedforward(), options.d_model()));
  norm1 = register_module("norm1", layer_norm(options));
  norm2 = register_module("norm2", layer_norm(options));
  dropout1 = register_module("dropout1", Dropout(options.dropout()));
  dropout2 = register_module("dropout2", Dropout(options.dropout()));
}

void TransformerEncoderLayerImpl::reset_parameters() {
  self_attn->_reset_parameters();
  linear1->reset_parameters();
  linear2->reset_parameters();
  norm1->reset_parameters();
  norm2->reset_parameters();
}

Tensor TransformerEncoderLayerImpl::self_attention_block(const Tensor& x, const Tensor& mask,
                                                         const Tensor& key_padding_mask) {
  return dropout1(attend(self_attn, x, x, mask, key_padding_mask));
}

Tensor TransformerEncoderLayerImpl::forward(const Tensor& src, const Tensor& src_mask,
                                            const Tensor& src_key_padding_mask) {
  Tensor x = src;
  if (options.norm_first()) {
    x = x + self_attention_block(norm1(x), src_mask, src_key_padding_mask);
    return x + feed_forward(options.activation(), linear1, dropout, linear2, dropout2, norm2(x));
  }
  x = norm1(x + self_attention_block(x, src_mask, src_key_padding_mask));
  return norm2(x + feed_forward(options.activation(), linear1, dropout, linear2, dropout2, x));
}

// ---- TransformerEncoder ------------------------------------------------------------------------

TransformerEncoderImpl::TransformerEncoderImpl(TransformerEncoderOptions options_) : options(std::move(options_)) {
  reset();
}

void TransformerEncoderImpl::reset() {
  layers = register_module("layers", clones(options.encoder_layer(), options.num_layers(), "TransformerEncoder"));
  if (!options.norm().is_empty()) {
    norm = options.norm().clone();
    register_module("norm", norm.ptr());
  }
}

void TransformerEncoderImpl::reset_parameters() {
  for (size_t i = 0; i < layers->size(); ++i)
    layers->at<TransformerEncoderLayerImpl>(static_cast<int64_t>(i)).reset_parameters();
}

Tensor TransformerEncoderImpl::forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask) {
  Tensor out = src;
  for (size_t i = 0; i < layers->size(); ++i)
    out = layers->at<TransformerEncoderLayerImpl>(static_cast<int64_t>(i)).forward(out, src_mask, src_key_padding_mask);
  if (!norm.is_empty()) out = norm.forward<Tensor>(out);
  return out;
}

// ---- TransformerDecoderLayer, TransformerDecoder -----------------------------------------------

TransformerDecoderLayerImpl::TransformerDecoderLayerImpl(TransformerDecoderLayerOptions options_)
    : options(std::move(options_)) {
  reset();
}

void TransformerDecoderLayerImpl::reset() {
  self_attn = register_module("self_attn", attention(options));
  multihead_attn = register_module("multihead_attn", attention(options));
  linear1 = register_module("linear1", Linear(options.d_model(), options.dim_feedforward()));
  dropout = register_module("dropout", Dropout(options.dropout()));
  linear2 = register_module("linear2", Linear(options.dim_feedforward(), options.d_model()));
  norm1 = register_module("norm1", layer_norm(options));
  norm2 = register_module("norm2", layer_norm(options));
  norm3 = register_module("norm3", layer_norm(options));
  dropout1 = register_module("dropout1", Dropout(options.dropout()));
  dropout2 = register_module("dropout2", Dropout(options.dropout()));
  dropout3 = register_module("dropout3", Dropout(options.dropout()));
}

void TransformerDecoderLayerImpl::reset_parameters() {
  self_attn->_reset_parameters();
  multihead_attn->_reset_parameters();
  linear1->reset_parameters();
  linear2->reset_parameters();
  norm1->reset_parameters();
  norm2->reset_parameters();
  norm3->reset_parameters();
}

Tensor TransformerDecoderLayerImpl::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                            const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                            const Tensor& memory_key_padding_mask) {
  Tensor x = tgt;
  if (options.norm_first()) {
    Tensor n1 = norm1(x);
    x = x + dropout1(attend(self_attn, n1, n1, tgt_mask, tgt_key_padding_mask));
    x = x + dropout2(attend(multihead_attn, norm2(x), memory, memory_mask, memory_key_padding_mask));
    return x + feed_forward(options.activation(), linear1, dropout, linear2, dropout3, norm3(x));
  }
  x = norm1(x + dropout1(attend(self_attn, x, x, tgt_mask, tgt_key_padding_mask)));
  x = norm2(x + dropout2(attend(multihead_attn, x, memory, memory_mask, memory_key_padding_mask)));
  return norm3(x + feed_forward(options.activation(), linear1, dropout, linear2, dropout3, x));
}

TransformerDecoderImpl::TransformerDecoderImpl(TransformerDecoderOptions options_) : options(std::move(options_)) {
  reset();
}

void TransformerDecoderImpl::reset() {
  layers = register_module("layers", clones(options.decoder_layer(), options.num_layers(), "TransformerDecoder"));
  if (!options.norm().is_empty()) {
    norm = options.norm().clone();
    register_module("norm", norm.ptr());
  }
}

void TransformerDecoderImpl::reset_parameters() {
  for (size_t i = 0; i < layers->size(); ++i)
    layers->at<TransformerDecoderLayerImpl>(static_cast<int64_t>(i)).reset_parameters();
}

Tensor TransformerDecoderImpl::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                       const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                       const Tensor& memory_key_padding_mask) {
  Tensor out = tgt;
  for (size_t i = 0; i < layers->size(); ++i)
    out = layers->at<TransformerDecoderLayerImpl>(static_cast<int64_t>(i))
              .forward(out, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask);
  if (!norm.is_empty()) out = norm.forward<Tensor>(out);
  return out;
}

}  // namespace nabla::nn
