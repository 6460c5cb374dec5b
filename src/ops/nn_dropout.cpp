// dropout and feature_dropout (channel dropout), in place or not.
//
// Note [Dropout masks as PyTorch draws them]
// PyTorch 1.13 on the CPU builds dropout from other ops (at::native::_dropout_impl), and
// nabla does the same, so that with the same seed the same elements are dropped:
//   noise = empty_like(input) (contiguous; feature dropout: new_empty({N, C, 1, ...}))
//   noise.bernoulli_(1 - p)   one uniform double per element, in row-major order
//   noise.div_(1 - p)         1 / (1 - p) in the input's dtype, or 0
//   return input * noise      (in place: input.mul_(noise)); grad_fn MulBackward0
// p == 0, !train or an empty input return the input itself; p == 1 multiplies by a 0-dim
// zero tensor (no draws).
#include "nabla/functions.h"
#include "nabla/nn/functional/dropout.h"

namespace nabla {

namespace {

void check_probability(double p) {
  NABLA_CHECK(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got ", p);
}

// The scaled keep-mask of Note [Dropout masks as PyTorch draws them].
Tensor dropout_noise(const Tensor& input, double p, bool feature) {
  std::vector<int64_t> sizes(input.sizes().begin(), input.sizes().end());
  if (feature) {
    NABLA_CHECK(input.dim() >= 2, "Feature dropout requires at least 2 dimensions in the input");
    for (size_t d = 2; d < sizes.size(); ++d) sizes[d] = 1;
  }
  Tensor noise = empty(sizes, TensorOptions(input.scalar_type()));
  noise.bernoulli_(1 - p);
  noise.div_(1 - p);
  return noise;
}

// Whether dropout leaves the input as it is.
bool is_identity(const Tensor& input, double p, bool train) {
  check_probability(p);
  return p == 0 || !train || input.numel() == 0;
}

Tensor dropout_out_of_place(const Tensor& input, double p, bool train, bool feature) {
  if (is_identity(input, p, train)) return input;
  if (p == 1) return input * zeros({}, TensorOptions(input.scalar_type()));
  return input * dropout_noise(input, p, feature);
}

Tensor& dropout_in_place(Tensor& input, double p, bool train, bool feature) {
  if (is_identity(input, p, train)) return input;
  if (p == 1) return input.mul_(zeros({}, TensorOptions(input.scalar_type())));
  return input.mul_(dropout_noise(input, p, feature));
}

}  // namespace

Tensor dropout(const Tensor& input, double p, bool train) { return dropout_out_of_place(input, p, train, false); }
Tensor& dropout_(Tensor& input, double p, bool train) { return dropout_in_place(input, p, train, false); }
Tensor feature_dropout(const Tensor& input, double p, bool train) {
  return dropout_out_of_place(input, p, train, true);
}
Tensor& feature_dropout_(Tensor& input, double p, bool train) { return dropout_in_place(input, p, train, true); }

namespace nn::functional {

Tensor dropout(Tensor input, const DropoutFuncOptions& options) {
  check_probability(options.p());
  if (options.inplace()) return nabla::dropout_(input, options.p(), options.training());
  return nabla::dropout(input, options.p(), options.training());
}

Tensor dropout2d(Tensor input, const Dropout2dFuncOptions& options) {
  check_probability(options.p());
  const bool batched = input.dim() == 4;
  if (!batched) input = options.inplace() ? input.unsqueeze_(0) : input.unsqueeze(0);
  Tensor result = options.inplace() ? nabla::feature_dropout_(input, options.p(), options.training())
                                    : nabla::feature_dropout(input, options.p(), options.training());
  if (!batched) result = options.inplace() ? result.squeeze_(0) : result.squeeze(0);
  return result;
}

}  // namespace nn::functional
}  // namespace nabla
