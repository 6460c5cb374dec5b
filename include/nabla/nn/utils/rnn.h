#pragma once
/// Utilities for recurrent models on variable-length sequences (torch.nn.utils.rnn).
///   auto batch = nn::utils::rnn::pad_sequence({a, b, c}, /*batch_first=*/true);
#include "nabla/tensor.h"

namespace nabla::nn::utils::rnn {

/// Stacks sequences of different lengths (each (L_i, *) with the same trailing dims) into
/// one (L_max, B, *) tensor, or (B, L_max, *) when batch_first, padding with padding_value.
/// Differentiable in the sequences.
Tensor pad_sequence(TensorList sequences, bool batch_first = false, double padding_value = 0);

}  // namespace nabla::nn::utils::rnn
