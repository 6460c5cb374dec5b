#pragma once
// Parity of activations and losses with PyTorch: the value and the gradients of every input
// that requires grad, for the same inputs and the same upstream gradient.
#include <functional>
#include <string>
#include <vector>

#include <nabla/nn/functional/activation.h>
#include <nabla/nn/functional/loss.h>

#include "support/testing.h"

namespace nabla::testing {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Tolerance by dtype: float32 kernels may round (and sum) differently from PyTorch's.
inline ::testing::AssertionResult close_to(const Tensor& a, const Tensor& e) {
  if (a.scalar_type() == kFloat) return same(a, e, 2e-5, 2e-6);
  return same(a, e, 1e-10, 1e-12);
}

/// fn(inputs) against `expr` (Python, with F = torch.nn.functional and the inputs by name):
/// the values, then the gradients of the inputs that require grad after backward with an
/// upstream gradient of deterministic values.
inline ::testing::AssertionResult loss_parity(const Fn& fn, const std::string& expr, const oracle::Inputs& inputs) {
  std::vector<Tensor> leaves;
  bool any_grad = false;
  for (const auto& in : inputs) {
    Tensor t = in.second.requires_grad() ? in.second.detach().clone().requires_grad_() : in.second;
    any_grad = any_grad || t.requires_grad();
    leaves.push_back(t);
  }
  Tensor y = fn(leaves);
  oracle::Inputs in2 = inputs;
  std::string code = "F = torch.nn.functional\ny__ = " + expr + "\n";
  std::string grads;
  if (any_grad) {
    Tensor w = sample(y.sizes(), y.scalar_type(), 99);
    y.backward(w);
    in2.emplace_back("w__", w);
    code += "y__.backward(w__)\n";
    for (const auto& in : inputs)
      if (in.second.requires_grad()) grads += in.first + ".grad, ";
  }
  oracle::Result ref = oracle::run(code + "out = (y__.detach(), " + grads + ")", in2);
  if (!ref.ok) return ::testing::AssertionFailure() << expr << ": PyTorch raised " << ref.error;
  auto r = close_to(y.detach(), ref.tensor(0));
  if (!r) return r << " (value of " << expr << ")";
  size_t k = 1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].second.requires_grad()) continue;
    const Tensor& expected = ref.outputs.at(k++);
    // An input the expression does not use has no gradient in either library.
    if (!expected.defined() && !leaves[i].grad().defined()) continue;
    if (!expected.defined() || !leaves[i].grad().defined())
      return ::testing::AssertionFailure() << "gradient of " << inputs[i].first << " defined in only one library in " << expr;
    auto g = close_to(leaves[i].grad(), expected);
    if (!g) return g << " (gradient of " << inputs[i].first << " in " << expr << ")";
  }
  return ::testing::AssertionSuccess();
}

/// The grad_fn name of expr's result in PyTorch.
inline std::string torch_grad_fn(const std::string& expr, const oracle::Inputs& inputs) {
  oracle::Result r = oracle::run("F = torch.nn.functional\nout = (" + expr + ").grad_fn.name()", inputs);
  return r.ok && !r.strings.empty() ? r.strings[0] : "<" + r.error + ">";
}

/// The message PyTorch raises for `code` (with F = torch.nn.functional).
inline std::string torch_error(const std::string& code, const oracle::Inputs& inputs) {
  return oracle::error_of("F = torch.nn.functional\n" + code, inputs);
}

/// Python's repr of a torch.nn object built by `expr`.
inline std::string torch_repr(const std::string& expr) {
  oracle::Result r = oracle::run("out = repr(torch.nn." + expr + ")");
  return r.ok && !r.strings.empty() ? r.strings[0] : "<" + r.error + ">";
}

/// gradcheck and gradgradcheck of fn over float64 inputs.
inline bool gradchecks(const Fn& fn, const std::vector<Tensor>& inputs) {
  auto f = [&](const autograd::variable_list& in) { return fn(in); };
  return autograd::gradcheck(f, inputs) && autograd::gradgradcheck(f, inputs);
}

}  // namespace nabla::testing
