#pragma once
/// nn::Dropout and nn::Dropout2d, as libtorch's: in training, zero elements (Dropout) or
/// whole channels (Dropout2d) with probability p and scale the rest by 1 / (1 - p), drawing
/// the same mask as PyTorch for the same seed; in eval mode, the identity.
///   nn::Dropout drop(0.2);
///   auto y = drop(x);     // Dropout(p=0.2, inplace=False)
#include <string>

#include "nabla/nn/module.h"
#include "nabla/nn/options/dropout.h"

namespace nabla::nn {

/// Element-wise dropout.
class DropoutImpl : public Cloneable<DropoutImpl> {
 public:
  explicit DropoutImpl(double p) : DropoutImpl(DropoutOptions(p)) {}
  explicit DropoutImpl(const DropoutOptions& options_ = {});

  /// Checks p (there are no parameters).
  void reset() override;
  Tensor forward(Tensor input);
  /// `p=0.5, inplace=False`.
  std::string extra_repr() const override;

  DropoutOptions options;
};
NABLA_MODULE(Dropout);

/// Channel dropout of (N, C, H, W) inputs (see nn::functional::dropout2d for other ranks).
class Dropout2dImpl : public Cloneable<Dropout2dImpl> {
 public:
  explicit Dropout2dImpl(double p) : Dropout2dImpl(Dropout2dOptions(p)) {}
  explicit Dropout2dImpl(const Dropout2dOptions& options_ = {});

  void reset() override;
  Tensor forward(Tensor input);
  std::string extra_repr() const override;

  Dropout2dOptions options;
};
NABLA_MODULE(Dropout2d);

}  // namespace nabla::nn
