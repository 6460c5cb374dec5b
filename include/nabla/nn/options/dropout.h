#pragma once
/// Options of Dropout / Dropout2d and of nn::functional::dropout / dropout2d, as libtorch's.
///   nn::Dropout drop(nn::DropoutOptions(0.2).inplace(true));
#include "nabla/nn/options.h"

namespace nabla::nn {

/// Options of the Dropout modules.
struct DropoutOptions {
  /* implicit */ DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT
  /// Probability of an element (Dropout) or channel (Dropout2d) to be zeroed.
  NABLA_ARG(double, p) = 0.5;
  /// Overwrite the input instead of returning a new tensor.
  NABLA_ARG(bool, inplace) = false;
};
using Dropout2dOptions = DropoutOptions;

namespace functional {
/// Options of nn::functional::dropout and dropout2d.
struct DropoutFuncOptions {
  NABLA_ARG(double, p) = 0.5;
  /// Without training the input is returned unchanged.
  NABLA_ARG(bool, training) = true;
  NABLA_ARG(bool, inplace) = false;
};
using Dropout2dFuncOptions = DropoutFuncOptions;
}  // namespace functional

}  // namespace nabla::nn
