#pragma once
// Helpers shared by the optimizers and schedulers (not public API).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include <nabla/functions.h>
#include <nabla/optim/optimizer.h>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/vmath.h"

#if defined(__SSE2__)
#endif

namespace nabla::optim::detail {

/// Python's repr of a float ("0.1", "-1.0", "1e-08", "inf"), for PyTorch's error messages.
std::string py_float(double v);

/// Sets `field` from `map[key]` when present (from_map of the options structs).
inline void read_option(const OptionMap& map, const std::string& key, double& field) {
  if (map.count(key)) field = option_double(map, key);
}
inline void read_option(const OptionMap& map, const std::string& key, int64_t& field) {
  if (map.count(key)) field = option_int(map, key);
}
inline void read_option(const OptionMap& map, const std::string& key, bool& field) {
  if (map.count(key)) field = option_bool(map, key);
}

/// A copy of a state tensor for a state dict.
inline Tensor copy_of(const Tensor& t) { return t.defined() ? t.clone() : t; }
/// A state tensor read from a dict: a copy, cast to the parameter's dtype (PyTorch's rule).
Tensor state_tensor_for(const Tensor& saved, const Tensor& param);
/// The entry `key` of a state dict's tensors, undefined if absent.
Tensor find_tensor(const OptimizerStateDict::ParamState& in, const std::string& key);
/// The `step` of a state written by PyTorch's rules: a tensor (Adam, Adagrad) or a number;
/// it must be a non-negative whole number.
int64_t read_step(const OptimizerStateDict::ParamState& in);
/// Checks a loaded state tensor (undefined passes): it must have the dtype (floating state was
/// cast to it by state_tensor_for) and the shape of `param`, or the given ones; `what`
/// describes the shape for the message ("the parameter's shape ").
void check_state_tensor(const Tensor& t, const char* name, const Tensor& param);
void check_state_tensor(const Tensor& t, const char* name, IntArrayRef shape, ScalarType dtype, const char* what);

/// The gradient of `param` with PyTorch's sparse-free checks, contiguous, same dtype.
Tensor dense_grad(const Tensor& param);

/// Note [Vectorised sqrt]: std::sqrt may set errno, so a loop calling it does not vectorise
/// (-fno-math-errno is not ours to set). Kernels that need square roots work in blocks of
/// kBlock elements: a vectorised loop writes the arguments to a small buffer, sqrt_inplace
/// takes their roots with vector instructions, and a second vectorised loop finishes.
inline constexpr int64_t kBlock = 256;

/// x[i] = sqrt(x[i]) for i < n (IEEE square root, NaN for negative x), in the vector layer.
template <typename T>
inline void sqrt_inplace(T* x, int64_t n) {
  kernels::vmath::apply(kernels::vmath::Fn::Sqrt, x, n);
}

/// Runs body(begin, end) over [0, n) in blocks of at most kBlock elements, in parallel
/// chunks for large n.
template <typename F>
void for_blocks(int64_t n, const F& body) {
  kernels::parallel_for(0, n, kernels::kGrainSize, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; s += kBlock) body(s, std::min(e, s + kBlock));
  });
}

/// Runs body(begin, end) over [0, n), in parallel chunks for large n.
template <typename F>
void for_chunks(int64_t n, const F& body) {
  kernels::parallel_for(0, n, kernels::kGrainSize, body);
}

/// Calls f(scalar_t{}) for float32 and float64 parameters; errors otherwise.
template <typename F>
void dispatch_floating(const Tensor& param, const F& f) {
  if (param.scalar_type() == kFloat) {
    f(float{});
  } else if (param.scalar_type() == kDouble) {
    f(double{});
  } else {
    NABLA_CHECK(false, "optimizers support float32 and float64 parameters, got ",
                scalarTypeName(param.scalar_type()));
  }
}

/// Runs update(storage) with param's values in contiguous storage: param itself, or a
/// contiguous copy that is written back afterwards. Bumps param's version.
template <typename F>
void update_param(const Tensor& param, const F& update) {
  if (param.is_contiguous()) {
    update(param);
  } else {
    Tensor work = param.contiguous();
    update(work);
    Tensor(param).copy_(work);
  }
  param.unsafeGetTensorImpl()->bump_version();
}

}  // namespace nabla::optim::detail
