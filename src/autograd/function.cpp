// Custom Functions (autograd::Function<T>): the context, connecting outputs to the node, and
// checking what backward returns — the parts of Function<T>::apply that are not templates.
#include "nabla/autograd/function.h"

#include <cxxabi.h>

#include <cstdlib>

#include "autograd/op.h"
#include "core/internal.h"
#include "nabla/functions.h"
#include "nabla/warning.h"

namespace nabla::autograd {

// ---- IValue ---------------------------------------------------------------------------------

std::string IValue::tagKind() const {
  static const char* const kinds[] = {"None", "Double", "Int", "Bool", "String", "Tensor"};
  return kinds[v_.index()];
}

double IValue::toDouble() const {
  NABLA_CHECK(isDouble(), "Expected Double but got ", tagKind());
  return std::get<double>(v_);
}
int64_t IValue::toInt() const {
  NABLA_CHECK(isInt(), "Expected Int but got ", tagKind());
  return std::get<int64_t>(v_);
}
bool IValue::toBool() const {
  NABLA_CHECK(isBool(), "Expected Bool but got ", tagKind());
  return std::get<bool>(v_);
}
const std::string& IValue::toStringRef() const {
  NABLA_CHECK(isString(), "Expected String but got ", tagKind());
  return std::get<std::string>(v_);
}
Tensor IValue::toTensor() const {
  NABLA_CHECK(isTensor(), "Expected Tensor but got ", tagKind());
  return std::get<Tensor>(v_);
}

// ---- AutogradContext ------------------------------------------------------------------------

void AutogradContext::save_for_backward(variable_list to_save) { to_save_ = std::move(to_save); }

void AutogradContext::mark_dirty(const variable_list& inputs) {
  dirty_inputs_.clear();
  for (const auto& t : inputs) dirty_inputs_.insert(t.unsafeGetTensorImpl());
}

void AutogradContext::mark_non_differentiable(const variable_list& outputs) {
  non_differentiable_.clear();
  for (const auto& t : outputs) non_differentiable_.insert(t.unsafeGetTensorImpl());
}

void AutogradContext::set_materialize_grads(bool value) { materialize_grads_ = value; }

const std::unordered_set<TensorImpl*>& AutogradContext::get_and_bump_dirty() const {
  for (TensorImpl* t : dirty_inputs_) t->bump_version();
  return dirty_inputs_;
}

variable_list AutogradContext::get_saved_variables() const {
  if (has_freed_buffers_) raise_backward_twice();
  variable_list out;
  out.reserve(saved_variables_.size());
  auto fn = grad_fn_.lock();
  for (const auto& s : saved_variables_) out.push_back(s.unpack(fn.get()));
  return out;
}

bool AutogradContext::needs_input_grad(size_t output_edge_index) const {
  auto fn = grad_fn_.lock();
  return fn && fn->should_compute_output(output_edge_index);
}

// ---- Function<T>::apply and CppNode<T> ------------------------------------------------------

std::vector<Edge> FunctionSupport::collect_next_edges(const variable_list& inputs) {
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const auto& t : inputs) edges.push_back(t.defined() ? gradient_edge(t) : Edge());
  return edges;
}

void FunctionSupport::wrap_outputs(const variable_list& inputs, AutogradContext& ctx, variable_list& outputs,
                                   const std::shared_ptr<Node>& node) {
  std::unordered_set<TensorImpl*> input_impls;
  for (const auto& t : inputs) input_impls.insert(t.unsafeGetTensorImpl());
  const auto& dirty = ctx.get_and_bump_dirty();
  const auto& non_diff = ctx.get_non_differentiable();
  for (size_t i = 0; i < outputs.size(); ++i) {
    Tensor& var = outputs[i];
    const auto nr = static_cast<uint32_t>(i);
    if (!var.defined()) {
      if (node) node->set_input_metadata(nr, core::empty({0}, kFloat));
      continue;
    }
    TensorImpl* impl = var.unsafeGetTensorImpl();
    const bool is_input = input_impls.count(impl) > 0;
    const bool is_modified = dirty.count(impl) > 0;
    const bool is_differentiable = node && !non_diff.count(impl) && var.is_floating_point();
    if (node) node->set_input_metadata(nr, var);
    if (!is_differentiable) {
      if (!var.requires_grad()) {
        if (is_input && !is_modified) var = core::alias(var);
        continue;
      }
      // A non-differentiable output that requires grad: a detached alias of an input, or
      // the output itself detached.
      if (is_input) {
        var = var.detach();
      } else {
        var.detach_();
      }
    } else if (is_modified) {
      NABLA_CHECK(!(var.is_leaf() && var.requires_grad()),
                  "a leaf Variable that requires grad has been used in an in-place operation.");
      if (!is_input) {
        warn(
            "Only input Tensors should be given to ctx.mark_dirty(). If a Tensor is not an input, there is no "
            "need to pass it to mark_dirty().");
      }
      rebase_history(var, node, nr);
    } else if (is_input) {
      // Returning an input unchanged: the output is a new alias of it, with this node's history.
      var = core::alias(var);
      set_history(var, node, nr);
    } else {
      set_history(var, node, nr);
    }
  }
}

void FunctionSupport::save_variables(AutogradContext& ctx, Node* node) {
  ctx.saved_variables_.clear();
  ctx.saved_variables_.reserve(ctx.to_save_.size());
  for (const auto& t : ctx.to_save_) {
    bool is_output = t.defined() && t.grad_fn().get() == node;
    ctx.saved_variables_.emplace_back(t, is_output);
  }
  ctx.to_save_.clear();
}

variable_list FunctionSupport::materialize(const AutogradContext& ctx, const Node& node, variable_list&& grads) {
  if (!ctx.materialize_grads_) return std::move(grads);
  for (size_t i = 0; i < grads.size(); ++i) {
    if (grads[i].defined()) continue;
    const InputMetadata& m = node.input_metadata(i);
    grads[i] = zeros(m.shape, m.dtype);
  }
  return std::move(grads);
}

variable_list FunctionSupport::check_outputs(const Node& node, const std::vector<bool>& is_variable_input,
                                             variable_list&& grads) {
  const size_t num_forward_inputs = is_variable_input.size();
  if (grads.size() > num_forward_inputs) {
    bool all_undefined = true;
    for (size_t i = num_forward_inputs; i < grads.size(); ++i) all_undefined = all_undefined && !grads[i].defined();
    if (all_undefined) grads.resize(num_forward_inputs);
  }
  NABLA_CHECK(grads.size() == num_forward_inputs, "function ", node.name(),
              " returned an incorrect number of gradients (expected ", num_forward_inputs, ", got ", grads.size(), ")");
  variable_list results;
  results.reserve(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!is_variable_input[i]) {
      NABLA_CHECK(!grads[i].defined(), "function ", node.name(),
                  " returned a gradient different that is defined at position ", i + 1,
                  ", but the corresponding forward input was not a Variable");
      continue;
    }
    results.push_back(std::move(grads[i]));
  }
  return results;
}

void FunctionSupport::release(AutogradContext& ctx) {
  ctx.saved_variables_.clear();
  ctx.has_freed_buffers_ = true;
}

std::vector<SavedInfo> FunctionSupport::saved_info(const AutogradContext& ctx) {
  std::vector<SavedInfo> out;
  for (const auto& s : ctx.saved_variables_)
    if (s.defined()) out.push_back(s.info());
  return out;
}

std::string FunctionSupport::node_name(const char* mangled) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  return "torch::autograd::CppNode<" + name + ">";
}

}  // namespace nabla::autograd
