#pragma once
/// Utilities for recurrent models on variable-length sequences (torch.nn.utils.rnn), with
/// libtorch's names: pad_sequence, PackedSequence, pack_padded_sequence, pad_packed_sequence,
/// pack_sequence.
///   auto batch = nn::utils::rnn::pad_sequence({a, b, c}, /*batch_first=*/true);
///   auto packed = nn::utils::rnn::pack_padded_sequence(batch, lengths, true, /*enforce_sorted=*/false);
///   auto [out, state] = lstm->forward_with_packed_input(packed);
///   auto [padded, out_lengths] = nn::utils::rnn::pad_packed_sequence(out, /*batch_first=*/true);
#include <optional>
#include <tuple>

#include "nabla/tensor.h"

namespace nabla::nn::utils::rnn {

/// Stacks sequences of different lengths (each (L_i, *) with the same trailing dims) into
/// one (L_max, B, *) tensor, or (B, L_max, *) when batch_first, padding with padding_value.
/// Differentiable in the sequences.
Tensor pad_sequence(TensorList sequences, bool batch_first = false, double padding_value = 0);

/// The inverse of a permutation: result[permutation[i]] = i (undefined stays undefined).
Tensor invert_permutation(const Tensor& permutation);

/// A batch of variable-length sequences packed time step by time step: data holds the rows of
/// step 0 for every sequence, then step 1 for the sequences at least 2 long, ... (sequences
/// sorted by decreasing length); batch_sizes[t] (int64) is how many sequences step t has.
/// sorted_indices maps the sorted order to the caller's batch and unsorted_indices back
/// (both undefined when the batch was already sorted). Made by pack_padded_sequence or
/// pack_sequence, taken by the recurrent modules' forward_with_packed_input.
///   auto packed = nn::utils::rnn::pack_sequence({a, b}, /*enforce_sorted=*/false);
class PackedSequence {
 public:
  explicit PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices = {}, Tensor unsorted_indices = {});

  const Tensor& data() const { return data_; }
  const Tensor& batch_sizes() const { return batch_sizes_; }
  const Tensor& sorted_indices() const { return sorted_indices_; }
  const Tensor& unsorted_indices() const { return unsorted_indices_; }
  /// The same packing with data converted (dtype); indices and batch sizes unchanged.
  PackedSequence to(TensorOptions options) const;
  /// Whether data is defined (a default-made PackedSequence holds nothing).
  bool is_defined() const { return data_.defined(); }

 private:
  Tensor data_;
  Tensor batch_sizes_;
  Tensor sorted_indices_;
  Tensor unsorted_indices_;
};

/// Packs a padded batch (T, B, *) — (B, T, *) when batch_first — of sequences with the given
/// lengths (1-D int64, B values). With enforce_sorted the lengths must be decreasing;
/// otherwise the batch is sorted first (stably) and the permutation kept. Differentiable in
/// input: padding positions get zero gradient.
///   auto packed = pack_padded_sequence(padded, nabla::tensor({3, 1, 2}), true, false);
PackedSequence pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first = false, bool enforce_sorted = true);

/// The inverse of pack_padded_sequence: returns the padded batch, (T, B, *) or (B, T, *),
/// padded with padding_value up to total_length steps (the longest sequence's length when not
/// given), and the lengths (int64), both in the caller's original batch order.
///   auto [padded, lengths] = pad_packed_sequence(packed, /*batch_first=*/true);
std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first = false,
                                               double padding_value = 0.0,
                                               std::optional<int64_t> total_length = std::nullopt);

/// Packs a list of sequences (each (L_i, *)): pad_sequence then pack_padded_sequence.
///   auto packed = pack_sequence({nabla::ones({3, 2}), nabla::ones({1, 2})});
PackedSequence pack_sequence(TensorList sequences, bool enforce_sorted = true);

}  // namespace nabla::nn::utils::rnn
