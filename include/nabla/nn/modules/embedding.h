#pragma once
/// nn::Embedding, as libtorch's: a (num_embeddings, embedding_dim) table initialised from
/// N(0, 1) (PyTorch's draws after manual_seed), the padding_idx row zeroed.
///   nn::Embedding emb(nn::EmbeddingOptions(10, 3).padding_idx(0));
///   auto v = emb(nabla::tensor({1, 0, 4}));           // (3, 3)
///   auto frozen = nn::Embedding::from_pretrained(table);
#include <string>

#include "nabla/nn/module.h"
#include "nabla/nn/options/embedding.h"

namespace nabla::nn {

/// A lookup table of embedding vectors.
class EmbeddingImpl : public Cloneable<EmbeddingImpl> {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingImpl(EmbeddingOptions options_);

  /// Normalises a negative padding_idx, creates the weight (or takes options._weight).
  void reset() override;
  /// weight ~ N(0, 1), then the padding_idx row set to 0.
  void reset_parameters();
  /// Rows of weight for the indices (int64 or int32): shape input.shape + (embedding_dim).
  Tensor forward(const Tensor& input);
  /// `10, 3, padding_idx=0` and the other non-default settings, as Python.
  std::string extra_repr() const override;

  EmbeddingOptions options;
  Tensor weight;
};

/// The holder of EmbeddingImpl, with from_pretrained.
class Embedding : public ModuleHolder<EmbeddingImpl> {
 public:
  using ModuleHolder<EmbeddingImpl>::ModuleHolder;
  using Impl = EmbeddingImpl;
  /// An Embedding whose weight is `embeddings` (2-D), trained only when !freeze.
  static Embedding from_pretrained(const Tensor& embeddings, const EmbeddingFromPretrainedOptions& options = {});
};

}  // namespace nabla::nn
