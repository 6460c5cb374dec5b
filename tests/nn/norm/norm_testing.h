#pragma once
// Helpers shared by the tests of the normalisation, dropout and embedding ops.
#include <string>
#include <vector>

#include "support/testing.h"

namespace nabla::norm_testing {

/// A Python tuple literal of a shape: (2, 3) or (5,).
inline std::string py_shape(IntArrayRef v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

/// Values within the tolerance of reductions in another order (both undefined also matches).
inline ::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  if (!a.defined() || !e.defined())
    return a.defined() == e.defined() ? ::testing::AssertionSuccess()
                                      : ::testing::AssertionFailure() << "one tensor is undefined";
  if (a.scalar_type() == kFloat) return nabla::testing::same(a, e, 1e-4, 1e-5);
  return nabla::testing::same(a, e, 1e-10, 1e-10);
}

/// A leaf of the given shape whose first two dims are swapped in memory (non-contiguous).
inline Tensor swapped_leaf(IntArrayRef shape, ScalarType dt, int seed) {
  DimVector s(shape);
  std::swap(s[0], s[1]);
  return nabla::testing::sample(s, dt, seed).transpose(0, 1).detach().requires_grad_(true);
}

/// The repr a module prints.
template <typename M>
std::string repr(const M& module) {
  std::ostringstream os;
  os << module;
  return os.str();
}

}  // namespace nabla::norm_testing
