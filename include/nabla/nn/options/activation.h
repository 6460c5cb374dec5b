#pragma once
/// Options of the activation modules and of their nn::functional calls, as libtorch's.
///   nn::LeakyReLU act(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true));
///   nn::functional::softmax(x, nn::functional::SoftmaxFuncOptions(1));
#include <cstdint>
#include <optional>
#include <string>

#include "nabla/dtype.h"
#include "nabla/nn/options.h"

namespace nabla::nn {

/// Options of ReLU: `inplace` overwrites the input.
struct ReLUOptions {
  /* implicit */ ReLUOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT
  NABLA_ARG(bool, inplace);
};

/// Options of ReLU6: `inplace` overwrites the input.
struct ReLU6Options {
  /* implicit */ ReLU6Options(bool inplace = false) : inplace_(inplace) {}  // NOLINT
  NABLA_ARG(bool, inplace);
};

/// Options of LeakyReLU: y = x for x > 0, negative_slope * x otherwise.
struct LeakyReLUOptions {
  NABLA_ARG(double, negative_slope) = 1e-2;
  NABLA_ARG(bool, inplace) = false;
};

/// Options of ELU: y = x for x > 0, alpha * (exp(x) - 1) otherwise.
struct ELUOptions {
  NABLA_ARG(double, alpha) = 1.0;
  NABLA_ARG(bool, inplace) = false;
};

/// Options of GELU: approximate is "none" (exact, with erf) or "tanh".
struct GELUOptions {
  NABLA_ARG(std::string, approximate) = "none";
};

/// Options of Softmax: the dim that sums to 1.
struct SoftmaxOptions {
  /* implicit */ SoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  NABLA_ARG(int64_t, dim);
};

/// Options of LogSoftmax: the dim along which log-probabilities normalise.
struct LogSoftmaxOptions {
  /* implicit */ LogSoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  NABLA_ARG(int64_t, dim);
};

/// Options of Softplus: y = log(1 + exp(beta * x)) / beta, or x where beta * x > threshold.
struct SoftplusOptions {
  NABLA_ARG(double, beta) = 1.0;
  NABLA_ARG(double, threshold) = 20.0;
};

/// Options of Hardtanh: y = clamp(x, min_val, max_val).
struct HardtanhOptions {
  NABLA_ARG(double, min_val) = -1.0;
  NABLA_ARG(double, max_val) = 1.0;
  NABLA_ARG(bool, inplace) = false;
};

namespace functional {
using ReLUFuncOptions = ReLUOptions;
using ReLU6FuncOptions = ReLU6Options;
using LeakyReLUFuncOptions = LeakyReLUOptions;
using ELUFuncOptions = ELUOptions;
using GELUFuncOptions = GELUOptions;
using SoftplusFuncOptions = SoftplusOptions;
using HardtanhFuncOptions = HardtanhOptions;

/// Options of nn::functional::softmax: the dim, and the dtype to compute in.
struct SoftmaxFuncOptions {
  /* implicit */ SoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  NABLA_ARG(int64_t, dim);
  NABLA_ARG(std::optional<ScalarType>, dtype) = std::nullopt;
};

/// Options of nn::functional::log_softmax: the dim, and the dtype to compute in.
struct LogSoftmaxFuncOptions {
  /* implicit */ LogSoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  NABLA_ARG(int64_t, dim);
  NABLA_ARG(std::optional<ScalarType>, dtype) = std::nullopt;
};
}  // namespace functional

}  // namespace nabla::nn
