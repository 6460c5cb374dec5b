#pragma once
/// nn::LayerNorm and nn::GroupNorm, as libtorch's. Affine parameters start as weight = 1 and
/// bias = 0.
///   nn::LayerNorm ln(nn::LayerNormOptions({512}));   // LayerNorm((512,), eps=1e-05, ...)
///   nn::GroupNorm gn(4, 32);                         // GroupNorm(4, 32, eps=1e-05, affine=True)
#include <string>
#include <vector>

#include "nabla/nn/module.h"
#include "nabla/nn/options/normalization.h"

namespace nabla::nn {

/// Normalises over the trailing dims normalized_shape of each sample.
class LayerNormImpl : public Cloneable<LayerNormImpl> {
 public:
  LayerNormImpl(std::vector<int64_t> normalized_shape)  // NOLINT: implicit, as libtorch
      : LayerNormImpl(LayerNormOptions(std::move(normalized_shape))) {}
  explicit LayerNormImpl(LayerNormOptions options_);

  void reset() override;
  /// weight = 1, bias = 0.
  void reset_parameters();
  Tensor forward(const Tensor& input);
  /// `(512,), eps=1e-05, elementwise_affine=True`.
  std::string extra_repr() const override;

  LayerNormOptions options;
  Tensor weight, bias;
};
NABLA_MODULE(LayerNorm);

/// Normalises (N, C, ...) over groups of C / num_groups channels.
class GroupNormImpl : public Cloneable<GroupNormImpl> {
 public:
  GroupNormImpl(int64_t num_groups, int64_t num_channels) : GroupNormImpl(GroupNormOptions(num_groups, num_channels)) {}
  explicit GroupNormImpl(const GroupNormOptions& options_);

  void reset() override;
  /// weight = 1, bias = 0.
  void reset_parameters();
  Tensor forward(const Tensor& input);
  /// `4, 32, eps=1e-05, affine=True`.
  std::string extra_repr() const override;

  GroupNormOptions options;
  Tensor weight, bias;
};
NABLA_MODULE(GroupNorm);

}  // namespace nabla::nn
