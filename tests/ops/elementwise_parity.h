#pragma once
// Parity helpers for the elementwise op tests: run the same expression in PyTorch and nabla and
// require the same tensor (dtype, shape, values) or the same error message.
#include <functional>
#include <string>
#include <vector>

#include "support/testing.h"

namespace nabla::testing {

inline const std::vector<ScalarType>& all_dtypes() {
  static const std::vector<ScalarType> d{kFloat, kDouble, kLong, kInt, kByte, kBool};
  return d;
}

/// `expr` evaluated by PyTorch on `inputs` and `fn()` in nabla agree: same tensor, or PyTorch
/// raises and nabla throws the same message.
inline ::testing::AssertionResult parity(const std::function<Tensor()>& fn, const std::string& expr,
                                         const oracle::Inputs& inputs, double rtol = -1, double atol = -1) {
  oracle::Result ref = oracle::run("out = " + expr, inputs);
  if (!ref.ok) {
    try {
      Tensor got = fn();
      return ::testing::AssertionFailure() << expr << ": PyTorch raised '" << ref.error << "', nabla gave " << got;
    } catch (const nabla::Error& e) {
      if (ref.error == e.what()) return ::testing::AssertionSuccess();
      return ::testing::AssertionFailure() << expr << ": message '" << e.what() << "', PyTorch: '" << ref.error << "'";
    }
  }
  Tensor got;
  try {
    got = fn();
  } catch (const nabla::Error& e) {
    return ::testing::AssertionFailure() << expr << ": nabla threw '" << e.what() << "', PyTorch gave " << ref.tensor();
  }
  auto r = same(got, ref.tensor(), rtol, atol);
  if (!r) return r << " (" << expr << ")";
  return r;
}

/// The grad_fn name PyTorch gives `expr`.
inline std::string torch_grad_fn(const std::string& expr, const oracle::Inputs& inputs) {
  oracle::Result r = oracle::run("out = (" + expr + ").grad_fn.name()", inputs);
  EXPECT_TRUE(r.ok) << r.error;
  return r.ok ? r.strings.at(0) : "";
}

/// Gradients of sum(fn(inputs) * w) for the inputs that require grad, compared with PyTorch's
/// for `expr` (w: fixed weights so every output element counts differently).
inline ::testing::AssertionResult grad_parity(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                                              const std::string& expr, const oracle::Inputs& inputs) {
  std::vector<Tensor> xs;
  for (const auto& in : inputs) xs.push_back(in.second);
  Tensor y = fn(xs);
  Tensor w = sample(y.sizes(), y.scalar_type(), 99);
  (y * w).sum().backward();
  oracle::Inputs in2 = inputs;
  in2.emplace_back("w__", w);
  std::string grads;
  for (const auto& in : inputs)
    if (in.second.requires_grad()) grads += in.first + ".grad, ";
  oracle::Result ref = oracle::run("out__ = " + expr + "\n(out__ * w__).sum().backward()\nout = (" + grads + ")", in2);
  if (!ref.ok) return ::testing::AssertionFailure() << expr << ": PyTorch raised " << ref.error;
  size_t k = 0;
  for (const auto& in : inputs) {
    if (!in.second.requires_grad()) continue;
    auto r = same(in.second.grad(), ref.tensor(k++));
    if (!r) return r << " (gradient of " << in.first << " in " << expr << ")";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace nabla::testing
