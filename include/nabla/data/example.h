#pragma once
/// Example: one sample (or a collated batch) of a dataset, a data tensor and a target, as
/// libtorch's torch::data::Example.
///   nabla::data::Example<> e{image, label};   e.data, e.target
#include <utility>

#include "nabla/tensor.h"

namespace nabla::data {

template <typename Data = Tensor, typename Target = Tensor>
struct Example {
  using DataType = Data;
  using TargetType = Target;
  Example() = default;
  Example(Data data, Target target) : data(std::move(data)), target(std::move(target)) {}
  Data data;
  Target target;
};

}  // namespace nabla::data
