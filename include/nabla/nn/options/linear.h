#pragma once
/// Options of Linear, Bilinear, Flatten and Unflatten, as libtorch's.
///   nn::Linear fc(nn::LinearOptions(784, 256).bias(false));
#include <cstdint>
#include <utility>
#include <vector>

#include "nabla/nn/options.h"

namespace nabla::nn {

/// Options of nn::Linear: y = x W^T + b.
struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  /// Size of each input sample (last dimension of the input).
  NABLA_ARG(int64_t, in_features);
  /// Size of each output sample.
  NABLA_ARG(int64_t, out_features);
  /// Whether to learn an additive bias.
  NABLA_ARG(bool, bias) = true;
};

/// Options of nn::Bilinear: y = x1^T A x2 + b.
struct BilinearOptions {
  BilinearOptions(int64_t in1_features, int64_t in2_features, int64_t out_features)
      : in1_features_(in1_features), in2_features_(in2_features), out_features_(out_features) {}
  NABLA_ARG(int64_t, in1_features);
  NABLA_ARG(int64_t, in2_features);
  NABLA_ARG(int64_t, out_features);
  NABLA_ARG(bool, bias) = true;
};

/// Options of nn::Flatten: the dims start_dim..end_dim become one.
struct FlattenOptions {
  NABLA_ARG(int64_t, start_dim) = 1;
  NABLA_ARG(int64_t, end_dim) = -1;
};

/// Options of nn::Unflatten: dimension `dim` is split into `sizes`.
struct UnflattenOptions {
  UnflattenOptions(int64_t dim, std::vector<int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  NABLA_ARG(int64_t, dim);
  NABLA_ARG(std::vector<int64_t>, sizes);
};

}  // namespace nabla::nn
