#pragma once
/// gradcheck / gradgradcheck: compare the gradients backward computes with central finite
/// differences, over the full Jacobian, as torch.autograd.gradcheck does. Use float64 inputs
/// that require grad.
///   auto x = nabla::randn({3}, nabla::TensorOptions().dtype(nabla::kDouble).requires_grad(true));
///   bool ok = nabla::autograd::gradcheck([](const auto& in) { return in[0].exp(); }, {x});
#include <functional>

#include "nabla/autograd/node.h"

namespace nabla::autograd {

using GradcheckFn = std::function<variable_list(const variable_list&)>;

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  /// Throw a nabla::Error describing the first mismatch (otherwise return false).
  bool raise_exception = true;
};

bool gradcheck(const GradcheckFn& fn, const variable_list& inputs, const GradcheckOptions& options = {});
bool gradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
               const GradcheckOptions& options = {});
/// Checks second derivatives: gradcheck of (inputs, grad_outputs) ↦ grad(fn(inputs), inputs,
/// grad_outputs, create_graph=true). grad_outputs default to fixed pseudo-random values.
bool gradgradcheck(const GradcheckFn& fn, const variable_list& inputs, const variable_list& grad_outputs = {},
                   const GradcheckOptions& options = {});
bool gradgradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
                   const variable_list& grad_outputs = {}, const GradcheckOptions& options = {});

}  // namespace nabla::autograd
