#pragma once
/// Activation modules, as libtorch's: ReLU, ReLU6, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh,
/// Softmax, LogSoftmax, Softplus, Hardtanh. They have no parameters; they print as Python.
///   nn::LeakyReLU act(nn::LeakyReLUOptions().negative_slope(0.2));
///   auto y = act(x);          // LeakyReLU(negative_slope=0.2)
///   nn::Softmax softmax(1);   // Softmax(dim=1)
#include <string>

#include "nabla/nn/functional/activation.h"
#include "nabla/nn/module.h"
#include "nabla/nn/options/activation.h"

namespace nabla::nn {

/// max(0, x), in place with options.inplace(true).
class ReLUImpl : public Cloneable<ReLUImpl> {
 public:
  explicit ReLUImpl(const ReLUOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(Tensor input);
  /// "" or `inplace=True`.
  std::string extra_repr() const override;
  ReLUOptions options;
};
NABLA_MODULE(ReLU);

/// min(max(0, x), 6), in place with options.inplace(true).
class ReLU6Impl : public Cloneable<ReLU6Impl> {
 public:
  explicit ReLU6Impl(const ReLU6Options& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(Tensor input);
  /// "" or `inplace=True`.
  std::string extra_repr() const override;
  ReLU6Options options;
};
NABLA_MODULE(ReLU6);

/// x for x > 0, negative_slope * x otherwise.
class LeakyReLUImpl : public Cloneable<LeakyReLUImpl> {
 public:
  explicit LeakyReLUImpl(const LeakyReLUOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(Tensor input);
  /// `negative_slope=0.01` (+ `, inplace=True`).
  std::string extra_repr() const override;
  LeakyReLUOptions options;
};
NABLA_MODULE(LeakyReLU);

/// x for x > 0, alpha * (exp(x) - 1) otherwise.
class ELUImpl : public Cloneable<ELUImpl> {
 public:
  explicit ELUImpl(const ELUOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(Tensor input);
  /// `alpha=1.0` (+ `, inplace=True`).
  std::string extra_repr() const override;
  ELUOptions options;
};
NABLA_MODULE(ELU);

/// x * Φ(x), exact or with the tanh approximation.
class GELUImpl : public Cloneable<GELUImpl> {
 public:
  explicit GELUImpl(GELUOptions options_ = {});
  /// Checks the approximate setting.
  void reset() override;
  Tensor forward(const Tensor& input);
  /// `approximate='none'`.
  std::string extra_repr() const override;
  GELUOptions options;
};
NABLA_MODULE(GELU);

/// x * sigmoid(x).
class SiLUImpl : public Cloneable<SiLUImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input) { return nabla::silu(input); }
};
NABLA_MODULE(SiLU);

/// 1 / (1 + exp(-x)).
class SigmoidImpl : public Cloneable<SigmoidImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input) { return nabla::sigmoid(input); }
};
NABLA_MODULE(Sigmoid);

/// tanh(x).
class TanhImpl : public Cloneable<TanhImpl> {
 public:
  void reset() override {}
  Tensor forward(const Tensor& input) { return nabla::tanh(input); }
};
NABLA_MODULE(Tanh);

/// softmax along options.dim().
class SoftmaxImpl : public Cloneable<SoftmaxImpl> {
 public:
  explicit SoftmaxImpl(int64_t dim) : SoftmaxImpl(SoftmaxOptions(dim)) {}
  explicit SoftmaxImpl(const SoftmaxOptions& options_) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input) { return nabla::softmax(input, options.dim()); }
  /// `dim=1`.
  std::string extra_repr() const override;
  SoftmaxOptions options;
};
NABLA_MODULE(Softmax);

/// log_softmax along options.dim().
class LogSoftmaxImpl : public Cloneable<LogSoftmaxImpl> {
 public:
  explicit LogSoftmaxImpl(int64_t dim) : LogSoftmaxImpl(LogSoftmaxOptions(dim)) {}
  explicit LogSoftmaxImpl(const LogSoftmaxOptions& options_) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input) { return nabla::log_softmax(input, options.dim()); }
  /// `dim=1`.
  std::string extra_repr() const override;
  LogSoftmaxOptions options;
};
NABLA_MODULE(LogSoftmax);

/// log(1 + exp(beta * x)) / beta, linear above the threshold.
class SoftplusImpl : public Cloneable<SoftplusImpl> {
 public:
  explicit SoftplusImpl(const SoftplusOptions& options_ = {}) : options(options_) {}
  void reset() override {}
  Tensor forward(const Tensor& input);
  /// `beta=1, threshold=20` (Python's defaults are ints: integral values print without ".0").
  std::string extra_repr() const override;
  SoftplusOptions options;
};
NABLA_MODULE(Softplus);

/// x clamped to [min_val, max_val].
class HardtanhImpl : public Cloneable<HardtanhImpl> {
 public:
  explicit HardtanhImpl(const HardtanhOptions& options_ = {});
  /// Checks max_val > min_val.
  void reset() override;
  Tensor forward(Tensor input);
  /// `min_val=-1.0, max_val=1.0` (+ `, inplace=True`).
  std::string extra_repr() const override;
  HardtanhOptions options;
};
NABLA_MODULE(Hardtanh);

}  // namespace nabla::nn
