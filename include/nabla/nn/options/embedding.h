#pragma once
/// Options of Embedding and of nn::functional::embedding, as libtorch's.
///   nn::Embedding emb(nn::EmbeddingOptions(10000, 64).padding_idx(0));
#include <cstdint>
#include <optional>

#include "nabla/nn/options.h"
#include "nabla/tensor.h"

namespace nabla::nn {

/// Options of the Embedding module.
struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  /// Rows of the table (the size of the vocabulary).
  NABLA_ARG(int64_t, num_embeddings);
  /// Columns of the table (the size of each embedding vector).
  NABLA_ARG(int64_t, embedding_dim);
  /// Row that is zero at initialisation and never receives a gradient (negative counts
  /// from the end).
  NABLA_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  /// Rows looked up are renormalised in place to this norm when theirs is larger.
  NABLA_ARG(std::optional<double>, max_norm) = std::nullopt;
  /// The p of the p-norm for max_norm.
  NABLA_ARG(double, norm_type) = 2.;
  /// Divide each row's gradient by how often its index occurs in the mini-batch.
  NABLA_ARG(bool, scale_grad_by_freq) = false;
  /// Sparse gradients (not supported: an error).
  NABLA_ARG(bool, sparse) = false;
  /// A table to use instead of a fresh one (shape (num_embeddings, embedding_dim)).
  NABLA_ARG(Tensor, _weight) = Tensor();
};

/// Options of Embedding::from_pretrained.
struct EmbeddingFromPretrainedOptions {
  /// The table does not require grad (not trained).
  NABLA_ARG(bool, freeze) = true;
  NABLA_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  NABLA_ARG(std::optional<double>, max_norm) = std::nullopt;
  NABLA_ARG(double, norm_type) = 2.;
  NABLA_ARG(bool, scale_grad_by_freq) = false;
  NABLA_ARG(bool, sparse) = false;
};

namespace functional {
/// Options of nn::functional::embedding.
struct EmbeddingFuncOptions {
  NABLA_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  NABLA_ARG(std::optional<double>, max_norm) = std::nullopt;
  NABLA_ARG(double, norm_type) = 2.;
  NABLA_ARG(bool, scale_grad_by_freq) = false;
  NABLA_ARG(bool, sparse) = false;
};
}  // namespace functional

}  // namespace nabla::nn
