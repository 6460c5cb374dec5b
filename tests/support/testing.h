#pragma once
// Test helpers: deterministic sample tensors, exact/close comparison with dtype and shape.
#include <gtest/gtest.h>

#include <nabla/nabla.h>

#include "support/oracle.h"

namespace nabla::testing {

/// Deterministic values without the RNG: floats spread over roughly [-3, 3] (no zeros, not
/// integers), ints over [-9, 9] (uint8: [0, 18]), bools alternating irregularly. `seed`
/// varies the values.
Tensor sample(IntArrayRef shape, ScalarType dtype = kFloat, int seed = 0);
/// Like sample() but positive (floats in [0.1, 3]; ints in [1, 9]), for sqrt/log/div.
Tensor sample_positive(IntArrayRef shape, ScalarType dtype = kFloat, int seed = 0);

/// Same dtype, same shape, and values equal (NaN equals NaN) or within tolerance:
/// |a - e| <= atol + rtol * |e|. Default tolerance: exact for integers and bools; for
/// floats 1.3e-6 / 1e-5 (float32) and 1e-7 / 1e-7 (float64) relative / absolute... see .cpp.
::testing::AssertionResult same(const Tensor& actual, const Tensor& expected, double rtol = -1, double atol = -1);
/// Values only, after converting both to float64 (dtype may differ).
::testing::AssertionResult close_values(const Tensor& actual, const Tensor& expected, double rtol = 1e-5,
                                        double atol = 1e-6);

/// The message of the nabla::Error that fn throws ("" and a test failure if none).
template <typename F>
std::string error_message(F&& fn) {
  try {
    fn();
  } catch (const nabla::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected nabla::Error, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected nabla::Error, nothing was thrown";
  return "";
}

}  // namespace nabla::testing

#define EXPECT_SAME(actual, expected) EXPECT_TRUE(::nabla::testing::same((actual), (expected)))
