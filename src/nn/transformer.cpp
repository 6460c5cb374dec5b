// nn::TransformerEncoderLayer, nn::TransformerEncoder and generate_square_subsequent_mask,
// composed of MultiheadAttention, Linear, Dropout and LayerNorm in Python's order, so that
// initialisation and dropout draw the same random numbers as PyTorch.
#include "nabla/nn/modules/transformer.h"

#include <limits>

#include "nabla/functions.h"
#include "nabla/nn/functional/activation.h"

namespace nabla::nn {

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
  self_attn =
      register_module("self_attn", MultiheadAttention(MultiheadAttentionOptions(options.d_model(), options.nhead())
                                                          .dropout(options.dropout())
                                                          .batch_first(options.batch_first())));
  linear1 = register_module("linear1", Linear(options.d_model(), options.dim_feedforward()));
  dropout = register_module("dropout", Dropout(options.dropout()));
  linear2 = register_module("linear2", Linear(options.dim_feedforward(), options.d_model()));
  norm1 = register_module("norm1", LayerNorm(LayerNormOptions({options.d_model()}).eps(options.layer_norm_eps())));
  norm2 = register_module("norm2", LayerNorm(LayerNormOptions({options.d_model()}).eps(options.layer_norm_eps())));
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
  Tensor attended = std::get<0>(self_attn(x, x, x, key_padding_mask, /*need_weights=*/false, mask));
  return dropout1(attended);
}

Tensor TransformerEncoderLayerImpl::feed_forward_block(const Tensor& x) {
  Tensor h = linear1(x);
  const activation_t& act = options.activation();
  if (const auto* n = std::get_if<Nonlinearity>(&act)) {
    NABLA_CHECK(*n == kReLU, "activation should be relu/gelu, not ", enum_name(*n));
    h = h.relu();
  } else if (std::holds_alternative<GELUActivation>(act)) {
    h = nabla::gelu(h);
  } else {
    h = std::get<std::function<Tensor(const Tensor&)>>(act)(h);
  }
  return dropout2(linear2(dropout(h)));
}

Tensor TransformerEncoderLayerImpl::forward(const Tensor& src, const Tensor& src_mask,
                                            const Tensor& src_key_padding_mask) {
  Tensor x = src;
  if (options.norm_first()) {
    x = x + self_attention_block(norm1(x), src_mask, src_key_padding_mask);
    return x + feed_forward_block(norm2(x));
  }
  x = norm1(x + self_attention_block(x, src_mask, src_key_padding_mask));
  return norm2(x + feed_forward_block(x));
}

// ---- TransformerEncoder ------------------------------------------------------------------------

TransformerEncoderImpl::TransformerEncoderImpl(TransformerEncoderOptions options_) : options(std::move(options_)) {
  reset();
}

void TransformerEncoderImpl::reset() {
  NABLA_CHECK(!options.encoder_layer().is_empty(), "TransformerEncoder: encoder_layer must be given");
  layers = register_module("layers", ModuleList());
  for (int64_t i = 0; i < options.num_layers(); ++i) layers->push_back(options.encoder_layer()->clone());
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

}  // namespace nabla::nn
