#pragma once
/// Autograd: backward(), grad(), grad mode, anomaly detection, custom functions, gradcheck.
///   auto [dx] = nabla::autograd::grad({y}, {x}, {}, true, true);   // create_graph for 2nd order
#include <optional>
#include <vector>

#include "nabla/autograd/function.h"
#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/gradcheck.h"
#include "nabla/autograd/meta.h"
#include "nabla/autograd/node.h"
#include "nabla/tensor.h"

namespace nabla::autograd {

/// Computes the gradients of `tensors` w.r.t. the graph leaves and accumulates them in .grad()
/// (or only into `inputs` when given). grad_tensors may be empty for single-element tensors.
void backward(const variable_list& tensors, const variable_list& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
              const variable_list& inputs = {});

/// Returns d(outputs)/d(inputs) weighted by grad_outputs, without touching .grad().
variable_list grad(const variable_list& outputs, const variable_list& inputs,
                   const variable_list& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                   bool create_graph = false, bool allow_unused = false);

/// While alive, every node records its forward op, and backward fails with an error naming
/// the node (and the op that created it) when a gradient contains NaN.
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool check_nan = true);
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool prev_;
};

struct AnomalyMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

}  // namespace nabla::autograd
