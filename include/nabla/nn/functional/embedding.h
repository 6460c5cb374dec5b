#pragma once
/// Embedding lookup: nabla::embedding (as torch::embedding) and nn::functional::embedding.
///   namespace F = nabla::nn::functional;
///   auto vectors = F::embedding(token_ids, table, F::EmbeddingFuncOptions().padding_idx(0));
#include <cstdint>

#include "nabla/nn/options/embedding.h"
#include "nabla/tensor.h"

namespace nabla {

/// Rows of weight (V, D) picked by indices (int64 or int32, any shape): the result has shape
/// indices.shape + (D). Row padding_idx (if >= 0) gets no gradient; scale_grad_by_freq
/// divides each row's gradient by the count of its index. grad_fn: EmbeddingBackward0.
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1, bool scale_grad_by_freq = false,
                 bool sparse = false);
/// Rescales, in place and without autograd, each row of self looked up by indices whose
/// norm_type-norm exceeds max_norm to norm max_norm (PyTorch's formula:
/// row *= max_norm / (norm + 1e-7)).
Tensor& embedding_renorm_(Tensor& self, const Tensor& indices, double max_norm, double norm_type);

namespace nn::functional {

/// torch.nn.functional.embedding(input, weight, ...): checks padding_idx, renormalises the
/// rows used when max_norm is set, then nabla::embedding.
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options = {});

}  // namespace nn::functional
}  // namespace nabla
