// nn::utils::rnn::PackedSequence and its makers, composed of differentiable ops (narrow, cat,
// split, stack, index_select), so gradients flow back to the padded input and padding
// positions get none.
//
// Note [Packed layout]
// A PackedSequence's data holds step 0 of every sequence, then step 1 of the sequences at
// least two long, and so on, with the sequences sorted by decreasing length (stably, as
// torch.sort); batch_sizes[t] counts the rows of step t and never increases. sorted_indices[i]
// is the caller's index of sorted sequence i, unsorted_indices its inverse: what the modules
// use to give final states back in the caller's order.
#include <algorithm>
#include <numeric>
#include <vector>

#include "nabla/functions.h"
#include "nabla/nn/utils/rnn.h"

namespace nabla::nn::utils::rnn {

namespace {

std::vector<int64_t> int64_values(const Tensor& t) {
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  const Tensor flat = t.reshape({-1});
  for (size_t i = 0; i < v.size(); ++i) v[i] = flat[static_cast<int64_t>(i)].item<int64_t>();
  return v;
}

// ATen's _pack_padded_sequence on sorted lengths: returns (data, batch_sizes).
std::tuple<Tensor, Tensor> pack_sorted(const Tensor& padded, const std::vector<int64_t>& lengths, bool batch_first,
                                       bool enforce_sorted) {
  Tensor input = batch_first ? padded.transpose(0, 1) : padded;
  const auto batch = static_cast<int64_t>(lengths.size());
  NABLA_CHECK(input.size(1) == batch, "Expected `len(lengths)` to be equal to batch_size, but got ", batch,
              " (batch_size=", input.size(1), ")");
  NABLA_CHECK(batch > 0 && lengths.back() > 0,
              "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0");
  if (enforce_sorted)
    for (size_t i = 1; i < lengths.size(); ++i)
      NABLA_CHECK(lengths[i - 1] >= lengths[i],
                  "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                  "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                  "if you do not need ONNX exportability.");
  NABLA_CHECK(lengths.front() <= input.size(0), "pack_padded_sequence: a length of ", lengths.front(),
              " exceeds the padded sequence length ", input.size(0));
  std::vector<int64_t> batch_sizes;
  std::vector<Tensor> steps;
  int64_t active = batch;
  for (int64_t t = 0; t < lengths.front(); ++t) {
    while (lengths[static_cast<size_t>(active - 1)] <= t) --active;
    batch_sizes.push_back(active);
    steps.push_back(input[t].narrow(0, 0, active));
  }
  return {cat(steps, 0), tensor(batch_sizes)};
}

}  // namespace

Tensor invert_permutation(const Tensor& permutation) {
  if (!permutation.defined()) return {};
  const std::vector<int64_t> p = int64_values(permutation);
  std::vector<int64_t> inverse(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    NABLA_CHECK(p[i] >= 0 && p[i] < static_cast<int64_t>(p.size()), "invert_permutation: index ", p[i],
                " is out of range for a permutation of ", p.size(), " elements");
    inverse[static_cast<size_t>(p[i])] = static_cast<int64_t>(i);
  }
  return tensor(inverse);
}

PackedSequence::PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices, Tensor unsorted_indices)
    : data_(std::move(data)),
      batch_sizes_(std::move(batch_sizes)),
      sorted_indices_(std::move(sorted_indices)),
      unsorted_indices_(std::move(unsorted_indices)) {
  if (!unsorted_indices_.defined()) unsorted_indices_ = invert_permutation(sorted_indices_);
}

PackedSequence PackedSequence::to(TensorOptions options) const {
  return PackedSequence(data_.to(options.dtype()), batch_sizes_, sorted_indices_, unsorted_indices_);
}

PackedSequence pack_padded_sequence(Tensor input, Tensor lengths, bool batch_first, bool enforce_sorted) {
  lengths = lengths.to(kLong);  // as libtorch: any integer or floating lengths are read as int64
  NABLA_CHECK(lengths.dim() == 1, "'lengths' argument should be a 1D CPU int64 tensor, but got ", lengths.dim(),
              "D cpu ", scalarTypeName(lengths.scalar_type()), " tensor");
  std::vector<int64_t> lens = int64_values(lengths);
  Tensor sorted_indices;
  if (!enforce_sorted) {
    std::vector<int64_t> order(lens.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return lens[static_cast<size_t>(a)] > lens[static_cast<size_t>(b)]; });
    std::vector<int64_t> sorted(lens.size());
    for (size_t i = 0; i < order.size(); ++i) sorted[i] = lens[static_cast<size_t>(order[i])];
    lens = sorted;
    sorted_indices = tensor(order);
    NABLA_CHECK(input.dim() >= 2, "pack_padded_sequence: expected a padded batch of at least 2 dimensions, got ",
                input.dim());
    input = input.index_select(batch_first ? 0 : 1, sorted_indices);
  }
  auto [data, batch_sizes] = pack_sorted(input, lens, batch_first, enforce_sorted);
  return PackedSequence(data, batch_sizes, sorted_indices, Tensor());
}

std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first, double padding_value,
                                               std::optional<int64_t> total_length) {
  const std::vector<int64_t> batch_sizes = int64_values(sequence.batch_sizes());
  const Tensor& data = sequence.data();
  const auto max_len = static_cast<int64_t>(batch_sizes.size());
  NABLA_CHECK(max_len > 0, "pad_packed_sequence: the PackedSequence holds no steps");
  if (total_length)
    NABLA_CHECK(*total_length >= max_len,
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                "total_length=",
                *total_length, " and max sequence length being ", max_len);
  const int64_t steps = total_length ? *total_length : max_len;
  const int64_t batch = batch_sizes.front();
  auto pad_rows = [&](int64_t rows, int64_t count) {
    DimVector shape(data.sizes());
    shape[0] = rows;
    if (count > 0) shape.insert(shape.begin(), count);
    return full(shape, padding_value, TensorOptions().dtype(data.scalar_type()));
  };
  std::vector<Tensor> rows = data.split(batch_sizes, 0);
  for (size_t t = 0; t < rows.size(); ++t)
    if (batch_sizes[t] < batch) rows[t] = cat({rows[t], pad_rows(batch - batch_sizes[t], 0)}, 0);
  Tensor padded = stack(rows, 0);
  if (steps > max_len) padded = cat({padded, pad_rows(batch, steps - max_len)}, 0);
  std::vector<int64_t> lengths(static_cast<size_t>(batch), 0);
  for (int64_t bs : batch_sizes)
    for (int64_t b = 0; b < bs; ++b) ++lengths[static_cast<size_t>(b)];
  Tensor lengths_t = tensor(lengths);
  if (batch_first) padded = padded.transpose(0, 1);
  if (sequence.unsorted_indices().defined()) {
    padded = padded.index_select(batch_first ? 0 : 1, sequence.unsorted_indices());
    lengths_t = lengths_t.index_select(0, sequence.unsorted_indices());
  }
  return {padded, lengths_t};
}

PackedSequence pack_sequence(TensorList sequences, bool enforce_sorted) {
  std::vector<int64_t> lengths;
  lengths.reserve(sequences.size());
  for (const Tensor& s : sequences) lengths.push_back(s.size(0));
  return pack_padded_sequence(pad_sequence(sequences), tensor(lengths), false, enforce_sorted);
}

}  // namespace nabla::nn::utils::rnn
