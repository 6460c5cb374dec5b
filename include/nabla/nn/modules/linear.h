#pragma once
/// Linear-family layers, as libtorch's: Identity, Linear, Bilinear, Flatten, Unflatten.
/// Default initialisation draws exactly what PyTorch's reset_parameters draws:
///   nabla::manual_seed(0);
///   nn::Linear fc(784, 256);        // == torch.manual_seed(0); nn.Linear(784, 256)
///   auto y = fc(x);                 // Linear(in_features=784, out_features=256, bias=True)
#include <string>
#include <vector>

#include "nabla/nn/functional/linear.h"
#include "nabla/nn/module.h"
#include "nabla/nn/options/linear.h"

namespace nabla::nn {

/// Returns its input unchanged: `Identity()`.
class IdentityImpl : public Cloneable<IdentityImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input) { return input; }
};
NABLA_MODULE(Identity);

/// y = x W^T + b, with weight (out_features, in_features) and bias (out_features).
class LinearImpl : public Cloneable<LinearImpl> {
 public:
  LinearImpl(int64_t in_features, int64_t out_features) : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options_);

  /// Creates weight and bias and initialises them (reset_parameters).
  void reset() override;
  /// kaiming_uniform_(weight, a = sqrt(5)), then bias uniform in +-1/sqrt(in_features).
  void reset_parameters();
  Tensor forward(const Tensor& input);
  /// `in_features=4, out_features=3, bias=True`.
  std::string extra_repr() const override;

  LinearOptions options;
  Tensor weight;
  /// Undefined when options.bias() is false.
  Tensor bias;
};
NABLA_MODULE(Linear);

/// y = x1^T A x2 + b, with weight (out, in1, in2) and bias (out).
class BilinearImpl : public Cloneable<BilinearImpl> {
 public:
  BilinearImpl(int64_t in1_features, int64_t in2_features, int64_t out_features)
      : BilinearImpl(BilinearOptions(in1_features, in2_features, out_features)) {}
  explicit BilinearImpl(const BilinearOptions& options_);

  void reset() override;
  /// weight and bias uniform in +-1/sqrt(in1_features).
  void reset_parameters();
  Tensor forward(const Tensor& input1, const Tensor& input2);
  /// `in1_features=2, in2_features=3, out_features=4, bias=True`.
  std::string extra_repr() const override;

  BilinearOptions options;
  Tensor weight;
  Tensor bias;
};
NABLA_MODULE(Bilinear);

/// Flattens dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default.
class FlattenImpl : public Cloneable<FlattenImpl> {
 public:
  explicit FlattenImpl(const FlattenOptions& options_ = {});
  void reset() override {}
  Tensor forward(const Tensor& input);
  /// `start_dim=1, end_dim=-1`.
  std::string extra_repr() const override;

  FlattenOptions options;
};
NABLA_MODULE(Flatten);

/// Splits dimension `dim` into `sizes`: Unflatten(1, {2, 5}) maps (N, 10) to (N, 2, 5).
class UnflattenImpl : public Cloneable<UnflattenImpl> {
 public:
  UnflattenImpl(int64_t dim, std::vector<int64_t> sizes) : UnflattenImpl(UnflattenOptions(dim, std::move(sizes))) {}
  explicit UnflattenImpl(UnflattenOptions options_);
  void reset() override {}
  Tensor forward(const Tensor& input);
  /// `dim=1, unflattened_size=(2, 5)`.
  std::string extra_repr() const override;

  UnflattenOptions options;
};
NABLA_MODULE(Unflatten);

}  // namespace nabla::nn
