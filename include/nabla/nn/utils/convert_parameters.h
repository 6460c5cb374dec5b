#pragma once
/// Parameters as one flat vector and back, as torch.nn.utils.parameters_to_vector /
/// vector_to_parameters.
///   Tensor flat = nn::utils::parameters_to_vector(model->parameters());
///   nn::utils::vector_to_parameters(flat * 0.5, model->parameters());
#include <vector>

#include "nabla/tensor.h"

namespace nabla::nn::utils {

/// The parameters flattened (view(-1)) and concatenated, in order; differentiable.
Tensor parameters_to_vector(const std::vector<Tensor>& parameters);
/// Makes each parameter hold the next numel() elements of vec, shaped like it (the parameters
/// share vec's memory afterwards, as in PyTorch; their autograd identity is kept).
void vector_to_parameters(const Tensor& vec, const std::vector<Tensor>& parameters);

}  // namespace nabla::nn::utils
