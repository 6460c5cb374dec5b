#pragma once
// The PyTorch oracle: runs Python code against python3-torch in one long-lived process per
// test program and brings the results back exactly. Tests compute the same thing with nabla
// and compare (tests/support/testing.h).
//
//   auto ref = oracle::run("out = a.t() @ b", {{"a", a}, {"b", b}});
//   EXPECT_TRUE(same(a.t().matmul(b), ref.tensor()));
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nabla/nabla.h>

namespace nabla::oracle {

struct Result {
  bool ok = false;
  std::string error;  // the exception's message when !ok
  std::string error_type;
  std::vector<Tensor> outputs;  // undefined for None; numbers become 0-dim tensors
  std::vector<std::vector<int64_t>> lists;  // torch.Size values, by output index (else empty)
  std::vector<std::string> strings;         // str values, by output index (else empty)
  /// The single tensor output; fails the test if there was an error.
  const Tensor& tensor(size_t i = 0) const;
};

using Inputs = std::vector<std::pair<std::string, Tensor>>;

/// Runs `code` (Python statements that assign `out`) with the named inputs as torch tensors
/// (same dtype, shape, values, requires_grad). Throws std::runtime_error if the oracle
/// process cannot run (python3-torch missing): such a test fails, it is never skipped.
Result run(const std::string& code, const Inputs& inputs = {});
/// out = <expr>; returns the tensor.
Tensor eval(const std::string& expr, const Inputs& inputs = {});
/// The message of the exception `code` raises in PyTorch (fails the test if none).
std::string error_of(const std::string& code, const Inputs& inputs = {});

}  // namespace nabla::oracle
