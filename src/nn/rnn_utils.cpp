// nn::utils::rnn::pad_sequence, composed of cat and stack (differentiable).
#include <algorithm>
#include <vector>

#include "core/internal.h"
#include "nabla/functions.h"
#include "nabla/nn/utils/rnn.h"

namespace nabla::nn::utils::rnn {

Tensor pad_sequence(TensorList sequences, bool batch_first, double padding_value) {
  NABLA_CHECK(!sequences.empty(), "received an empty list of sequences");
  const Tensor& first = sequences[0];
  NABLA_CHECK(first.dim() > 0, "Dimension specified as 0 but tensor has no dimensions");
  const ScalarType dtype = first.scalar_type();
  int64_t max_len = 0;
  for (const Tensor& s : sequences) max_len = std::max(max_len, s.size(0));
  std::vector<Tensor> padded;
  padded.reserve(sequences.size());
  for (const Tensor& seq : sequences) {
    // Each sequence is copied into a (len, *trailing dims of the first) slot: it must
    // broadcast to that shape, as PyTorch's copy_ requires.
    DimVector target(first.sizes());
    target[0] = seq.size(0);
    core::broadcast_shape(target, seq.sizes());
    Tensor s = seq.to(dtype);
    if (s.sizes() != IntArrayRef(target)) s = s.expand(target);
    if (target[0] < max_len) {
      DimVector pad_shape = target;
      pad_shape[0] = max_len - target[0];
      s = cat({s, full(pad_shape, padding_value, TensorOptions().dtype(dtype))}, 0);
    }
    padded.push_back(s);
  }
  return stack(padded, batch_first ? 0 : 1);
}

}  // namespace nabla::nn::utils::rnn
