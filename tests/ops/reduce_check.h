#pragma once
// Shared checks for the reduction tests: value parity over dtypes and layouts, and gradient
// parity (values, gradients, grad_fn name, gradcheck, gradgradcheck) with PyTorch.
#include <functional>
#include <string>
#include <vector>

#include "support/testing.h"

namespace nabla::reduce_test {

using Fn = std::function<Tensor(const Tensor&)>;

/// Inputs of one dtype in several layouts: contiguous [3, 4], transposed [4, 3], a permuted
/// [2, 3, 4] and a stride-2 slice via expand+select patterns that exist in the core.
inline std::vector<std::pair<std::string, Tensor>> layouts(ScalarType dt, int seed = 0) {
  Tensor c = testing::sample({3, 4}, dt, seed);
  Tensor t = testing::sample({3, 4}, dt, seed + 1).t();
  Tensor p = testing::sample({2, 3, 4}, dt, seed + 2).permute({2, 0, 1});
  Tensor big = testing::sample({6, 70}, dt, seed + 3);  // columns schedule (reduce over 0)
  return {{"contiguous", c}, {"transposed", t}, {"permuted", p}, {"wide", big}};
}

/// fn(a) equals PyTorch's `expr` (which names the input `a`) for a.
inline ::testing::AssertionResult matches(const std::string& expr, const Fn& fn, const Tensor& a, double rtol = -1,
                                          double atol = -1) {
  Tensor ref = oracle::eval(expr, {{"a", a}});
  return testing::same(fn(a), ref, rtol, atol);
}

/// Gradient parity and gradchecks of fn at a (float64): y = fn(a); y.backward(g) against
/// PyTorch's `expr`, the grad_fn name against PyTorch's, then gradcheck and gradgradcheck.
inline void check_grad(const std::string& expr, const Fn& fn, Tensor a, bool second_order = true) {
  a = a.detach().requires_grad_();
  Tensor y = fn(a);
  Tensor g = testing::sample(y.sizes(), kDouble, 11);
  y.backward(g);
  auto ref = oracle::run("y = " + expr + "\ny.backward(g)\nout = (y, a.grad, type(y.grad_fn).__name__)",
                         {{"a", a}, {"g", g}});
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_SAME(y.detach(), ref.tensor(0));
  EXPECT_SAME(a.grad(), ref.tensor(1));
  ASSERT_TRUE(y.grad_fn());
  EXPECT_EQ(y.grad_fn()->name(), ref.strings.at(2)) << expr;
  Tensor b = a.detach().requires_grad_();
  auto f = [&](const autograd::variable_list& in) { return fn(in[0]); };
  EXPECT_TRUE(autograd::gradcheck(f, {b})) << expr;
  if (second_order) {
    EXPECT_TRUE(autograd::gradgradcheck(f, {b})) << expr;
  }
}

}  // namespace nabla::reduce_test
