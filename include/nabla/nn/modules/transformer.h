#pragma once
/// nn::TransformerEncoderLayer, nn::TransformerEncoder, nn::TransformerDecoderLayer and
/// nn::TransformerDecoder, as libtorch's and Python's:
/// submodule names, default initialisation, masks (mask: (S, S) or (N * nhead, S, S), bool
/// true = forbidden or float added; src_key_padding_mask: (N, S), true = padding), dropout
/// draws in Python's order, post-norm or pre-norm (norm_first).
///   nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(32,
///   4).dim_feedforward(64).batch_first(true)); nn::TransformerEncoder encoder(nn::TransformerEncoderOptions(layer,
///   2)); auto y = encoder(x, nn::generate_square_subsequent_mask(x.size(1)), padding_mask);
#include <cstdint>

#include "nabla/nn/module.h"
#include "nabla/nn/modules/any.h"
#include "nabla/nn/modules/attention.h"
#include "nabla/nn/modules/container.h"
#include "nabla/nn/modules/dropout.h"
#include "nabla/nn/modules/linear.h"
#include "nabla/nn/modules/normalization.h"
#include "nabla/nn/options/transformer.h"

namespace nabla::nn {

/// A float (sz, sz) mask with -inf above the diagonal and 0 elsewhere: position i may attend
/// to positions <= i (Python's nn.Transformer.generate_square_subsequent_mask).
///   auto mask = nn::generate_square_subsequent_mask(5);
Tensor generate_square_subsequent_mask(int64_t sz);

/// Self-attention and a feed-forward block, each with a residual connection and LayerNorm:
/// x = norm1(x + dropout1(self_attn(x))); x = norm2(x + dropout2(linear2(dropout(act(linear1(x))))))
/// (with norm_first: x = x + block(norm(x)) for each block).
class TransformerEncoderLayerImpl : public Cloneable<TransformerEncoderLayerImpl> {
 public:
  TransformerEncoderLayerImpl(int64_t d_model, int64_t nhead)
      : TransformerEncoderLayerImpl(TransformerEncoderLayerOptions(d_model, nhead)) {}
  explicit TransformerEncoderLayerImpl(TransformerEncoderLayerOptions options_);
  /// src (S, N, E), or (N, S, E) when batch_first, or unbatched (S, E); src_mask and
  /// src_key_padding_mask as MultiheadAttention's attn_mask and key_padding_mask.
  /// In a Sequential or AnyModule the masks may be left out (FORWARD_HAS_DEFAULT_ARGS).
  Tensor forward(const Tensor& src, const Tensor& src_mask = {}, const Tensor& src_key_padding_mask = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())}, {2, AnyValue(Tensor())})
  void reset() override;
  /// Re-initialises the submodules as their constructors do.
  void reset_parameters();

  TransformerEncoderLayerOptions options;
  MultiheadAttention self_attn = nullptr;
  Linear linear1 = nullptr;
  Dropout dropout = nullptr;
  Linear linear2 = nullptr;
  LayerNorm norm1 = nullptr;
  LayerNorm norm2 = nullptr;
  Dropout dropout1 = nullptr;
  Dropout dropout2 = nullptr;

 private:
  Tensor self_attention_block(const Tensor& x, const Tensor& mask, const Tensor& key_padding_mask);
};
NABLA_MODULE(TransformerEncoderLayer);

/// Options of nn::TransformerEncoder: the layer to repeat (cloned num_layers times, so every
/// copy starts with its weights, as Python's deepcopy) and an optional final norm.
struct TransformerEncoderOptions {
  TransformerEncoderOptions(TransformerEncoderLayer encoder_layer, int64_t num_layers)
      : encoder_layer_(std::move(encoder_layer)), num_layers_(num_layers) {}
  TransformerEncoderOptions(const TransformerEncoderLayerOptions& layer_options, int64_t num_layers)
      : encoder_layer_(TransformerEncoderLayer(layer_options)), num_layers_(num_layers) {}
  NABLA_ARG(TransformerEncoderLayer, encoder_layer) = nullptr;
  NABLA_ARG(int64_t, num_layers);
  /// A module applied to the last layer's output (e.g. a LayerNorm); empty: none.
  NABLA_ARG(AnyModule, norm);
};

/// num_layers TransformerEncoderLayers in a row (submodules layers.0, layers.1, ..., norm).
class TransformerEncoderImpl : public Cloneable<TransformerEncoderImpl> {
 public:
  TransformerEncoderImpl(TransformerEncoderLayer encoder_layer, int64_t num_layers)
      : TransformerEncoderImpl(TransformerEncoderOptions(std::move(encoder_layer), num_layers)) {}
  explicit TransformerEncoderImpl(TransformerEncoderOptions options_);
  /// Each layer's forward with the same masks, then norm.
  /// In a Sequential or AnyModule the masks may be left out (FORWARD_HAS_DEFAULT_ARGS).
  Tensor forward(const Tensor& src, const Tensor& src_mask = {}, const Tensor& src_key_padding_mask = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())}, {2, AnyValue(Tensor())})
  void reset() override;
  void reset_parameters();

  TransformerEncoderOptions options;
  ModuleList layers = nullptr;
  AnyModule norm;
};
NABLA_MODULE(TransformerEncoder);

/// The decoder layer takes the encoder layer's options (the same fields, as in libtorch).
using TransformerDecoderLayerOptions = TransformerEncoderLayerOptions;

/// Self-attention, attention over the encoder's output (memory) and a feed-forward block, each
/// with a residual connection and LayerNorm (norm1..norm3; with norm_first, before each block).
class TransformerDecoderLayerImpl : public Cloneable<TransformerDecoderLayerImpl> {
 public:
  TransformerDecoderLayerImpl(int64_t d_model, int64_t nhead)
      : TransformerDecoderLayerImpl(TransformerDecoderLayerOptions(d_model, nhead)) {}
  explicit TransformerDecoderLayerImpl(TransformerDecoderLayerOptions options_);
  /// tgt (T, N, E) and memory (S, N, E) — batch first when batch_first; masks as
  /// MultiheadAttention's (tgt_mask (T, T), memory_mask (T, S), padding masks (N, T), (N, S)).
  /// In a Sequential or AnyModule the masks may be left out (FORWARD_HAS_DEFAULT_ARGS).
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {}, const Tensor& memory_mask = {},
                 const Tensor& tgt_key_padding_mask = {}, const Tensor& memory_key_padding_mask = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({2, AnyValue(Tensor())}, {3, AnyValue(Tensor())}, {4, AnyValue(Tensor())},
                                 {5, AnyValue(Tensor())})
  void reset() override;
  void reset_parameters();

  TransformerDecoderLayerOptions options;
  MultiheadAttention self_attn = nullptr;
  MultiheadAttention multihead_attn = nullptr;
  Linear linear1 = nullptr;
  Dropout dropout = nullptr;
  Linear linear2 = nullptr;
  LayerNorm norm1 = nullptr;
  LayerNorm norm2 = nullptr;
  LayerNorm norm3 = nullptr;
  Dropout dropout1 = nullptr;
  Dropout dropout2 = nullptr;
  Dropout dropout3 = nullptr;
};
NABLA_MODULE(TransformerDecoderLayer);

/// Options of nn::TransformerDecoder: the layer to repeat (cloned num_layers times) and an
/// optional final norm.
struct TransformerDecoderOptions {
  TransformerDecoderOptions(TransformerDecoderLayer decoder_layer, int64_t num_layers)
      : decoder_layer_(std::move(decoder_layer)), num_layers_(num_layers) {}
  NABLA_ARG(TransformerDecoderLayer, decoder_layer) = nullptr;
  NABLA_ARG(int64_t, num_layers);
  /// A module applied to the last layer's output (e.g. a LayerNorm); empty: none.
  NABLA_ARG(AnyModule, norm);
};

/// num_layers TransformerDecoderLayers in a row (submodules layers.0, layers.1, ..., norm).
class TransformerDecoderImpl : public Cloneable<TransformerDecoderImpl> {
 public:
  TransformerDecoderImpl(TransformerDecoderLayer decoder_layer, int64_t num_layers)
      : TransformerDecoderImpl(TransformerDecoderOptions(std::move(decoder_layer), num_layers)) {}
  explicit TransformerDecoderImpl(TransformerDecoderOptions options_);
  /// Each layer's forward with the same memory and masks, then norm.
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {}, const Tensor& memory_mask = {},
                 const Tensor& tgt_key_padding_mask = {}, const Tensor& memory_key_padding_mask = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({2, AnyValue(Tensor())}, {3, AnyValue(Tensor())}, {4, AnyValue(Tensor())},
                                 {5, AnyValue(Tensor())})
  void reset() override;
  void reset_parameters();

  TransformerDecoderOptions options;
  ModuleList layers = nullptr;
  AnyModule norm;
};
NABLA_MODULE(TransformerDecoder);

}  // namespace nabla::nn
