#pragma once
/// Custom differentiable functions, as libtorch's torch::autograd::Function:
///
///   struct MulConstant : nabla::autograd::Function<MulConstant> {
///     static nabla::Tensor forward(nabla::autograd::AutogradContext* ctx, nabla::Tensor x, double c) {
///       ctx->saved_data["c"] = c;
///       return x * c;
///     }
///     static nabla::autograd::variable_list backward(nabla::autograd::AutogradContext* ctx,
///                                                    nabla::autograd::variable_list grads) {
///       return {grads[0] * ctx->saved_data["c"].toDouble(), nabla::Tensor()};
///     }
///   };
///   auto y = MulConstant::apply(x, 5.5);    // y.grad_fn()->name(): "torch::autograd::CppNode<MulConstant>"
///
/// backward returns one gradient per argument of forward (undefined for non-tensor ones).
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/node.h"
#include "nabla/autograd/saved_variable.h"

namespace nabla::autograd {

/// A value kept in AutogradContext::saved_data: None, double, int64, bool, string or tensor.
class IValue {
 public:
  IValue() = default;
  IValue(double v) : v_(v) {}                     // NOLINT
  IValue(int64_t v) : v_(v) {}                    // NOLINT
  IValue(int v) : v_(static_cast<int64_t>(v)) {}  // NOLINT
  IValue(bool v) : v_(v) {}                       // NOLINT
  IValue(std::string v) : v_(std::move(v)) {}     // NOLINT
  IValue(const char* v) : v_(std::string(v)) {}   // NOLINT
  IValue(Tensor v) : v_(std::move(v)) {}          // NOLINT

  bool isNone() const { return v_.index() == 0; }
  bool isDouble() const { return v_.index() == 1; }
  bool isInt() const { return v_.index() == 2; }
  bool isBool() const { return v_.index() == 3; }
  bool isString() const { return v_.index() == 4; }
  bool isTensor() const { return v_.index() == 5; }

  double toDouble() const;
  int64_t toInt() const;
  bool toBool() const;
  const std::string& toStringRef() const;
  Tensor toTensor() const;
  /// "None", "Double", "Int", "Bool", "String" or "Tensor".
  std::string tagKind() const;

 private:
  std::variant<std::monostate, double, int64_t, bool, std::string, Tensor> v_;
};

template <class T>
struct Function;

/// What a custom Function's forward and backward share: saved tensors and values, and
/// which inputs it modified or which outputs are not differentiable.
struct AutogradContext {
  AutogradContext() = default;
  AutogradContext(const AutogradContext&) = delete;
  AutogradContext& operator=(const AutogradContext&) = delete;

  /// Non-tensor values (and tensors, without version checks) for backward.
  std::unordered_map<std::string, IValue> saved_data;

  /// Saves tensors for backward (inputs or outputs of forward); read them back with
  /// get_saved_variables(), which checks that they were not modified in place.
  void save_for_backward(variable_list to_save);
  /// Declares inputs that forward modified in place (they become outputs of this node).
  void mark_dirty(const variable_list& inputs);
  /// Declares outputs that have no gradient (backward receives zeros for them).
  void mark_non_differentiable(const variable_list& outputs);
  /// Whether undefined output gradients reach backward as zeros (default) or undefined.
  void set_materialize_grads(bool value);

  variable_list get_saved_variables() const;
  /// Whether the gradient of the i-th tensor argument of forward is needed.
  bool needs_input_grad(size_t output_edge_index) const;

  // Used by Function<T>::apply.
  const std::unordered_set<TensorImpl*>& get_and_bump_dirty() const;
  const std::unordered_set<TensorImpl*>& get_non_differentiable() const { return non_differentiable_; }

 private:
  template <class T>
  friend struct Function;
  friend struct FunctionSupport;

  std::unordered_set<TensorImpl*> non_differentiable_;
  std::unordered_set<TensorImpl*> dirty_inputs_;
  std::vector<SavedVariable> saved_variables_;
  variable_list to_save_;
  bool materialize_grads_ = true;
  bool has_freed_buffers_ = false;
  std::weak_ptr<Node> grad_fn_;
};

/// The non-template half of Function<T>::apply and CppNode<T>.
struct FunctionSupport {
  /// Edges to the inputs (all valid or invalid as each input requires grad).
  static std::vector<Edge> collect_next_edges(const variable_list& inputs);
  /// Connects the outputs of forward to `node` (null when nothing is recorded), following
  /// mark_dirty / mark_non_differentiable, as PyTorch's _wrap_outputs.
  static void wrap_outputs(const variable_list& inputs, AutogradContext& ctx, variable_list& outputs,
                           const std::shared_ptr<Node>& node);
  /// Saves ctx's to_save tensors, now that outputs know their grad_fn.
  static void save_variables(AutogradContext& ctx, Node* node);
  /// backward's inputs: undefined gradients become zeros when ctx materializes them.
  static variable_list materialize(const AutogradContext& ctx, const Node& node, variable_list&& grads);
  /// Checks backward's result against forward's arguments and keeps the tensor ones.
  static variable_list check_outputs(const Node& node, const std::vector<bool>& is_variable_input,
                                     variable_list&& grads);
  static void release(AutogradContext& ctx);
  static std::vector<SavedInfo> saved_info(const AutogradContext& ctx);
  /// "torch::autograd::CppNode<" + the demangled name + ">".
  static std::string node_name(const char* mangled);
};

/// The node of a custom Function in the graph.
template <class T>
struct CppNode final : Node {
  std::string name() const override { return FunctionSupport::node_name(typeid(T).name()); }
  variable_list apply(variable_list&& inputs) override {
    auto outputs = T::backward(&ctx_, FunctionSupport::materialize(ctx_, *this, std::move(inputs)));
    return FunctionSupport::check_outputs(*this, is_variable_input_, std::move(outputs));
  }
  void release_variables() override { FunctionSupport::release(ctx_); }
  std::vector<SavedInfo> saved_info() const override { return FunctionSupport::saved_info(ctx_); }

  AutogradContext ctx_;
  std::vector<bool> is_variable_input_;
};

namespace function_detail {
inline void extract(std::vector<bool>& is_var, variable_list& list, const Tensor& t) {
  is_var.push_back(true);
  list.push_back(t);
}
inline void extract(std::vector<bool>& is_var, variable_list& list, const std::optional<Tensor>& t) {
  is_var.push_back(t && t->defined());
  if (t && t->defined()) list.push_back(*t);
}
inline void extract(std::vector<bool>& is_var, variable_list& list, const std::vector<Tensor>& ts) {
  for (const auto& t : ts) extract(is_var, list, t);
}
inline void extract(std::vector<bool>& is_var, variable_list& list, TensorList ts) {
  for (const auto& t : ts) extract(is_var, list, t);
}
template <typename U>
void extract(std::vector<bool>& is_var, variable_list&, const U&) {
  is_var.push_back(false);
}
}  // namespace function_detail

template <typename X, typename... Args>
using forward_t = decltype(X::forward(nullptr, std::declval<Args>()...));

/// Base of a custom function T (CRTP): T::apply(args...) runs T::forward with grad mode off
/// and, when an input requires grad, records a CppNode<T> whose backward calls T::backward.
template <class T>
struct Function {
  template <typename X = T, typename... Args>
  static auto apply(Args&&... args) -> std::enable_if_t<std::is_same_v<X, T>, forward_t<X, Args...>> {
    auto node = make_node<CppNode<T>>();
    variable_list input_vars;
    input_vars.reserve(sizeof...(Args));
    (function_detail::extract(node->is_variable_input_, input_vars, args), ...);
    bool is_executable = false;
    if (GradMode::is_enabled())
      for (const auto& v : input_vars) is_executable = is_executable || v.requires_grad();
    if (is_executable) node->mutable_next_edges() = FunctionSupport::collect_next_edges(input_vars);
    node->ctx_.grad_fn_ = node;

    using forward_return_t = forward_t<X, Args...>;
    forward_return_t outputs;
    {
      AutoGradMode grad_mode(false);
      outputs = T::forward(&node->ctx_, std::forward<Args>(args)...);
    }
    std::shared_ptr<Node> recorded = is_executable ? node : nullptr;
    if constexpr (std::is_same_v<forward_return_t, Tensor>) {
      variable_list outs{std::move(outputs)};
      FunctionSupport::wrap_outputs(input_vars, node->ctx_, outs, recorded);
      if (is_executable) FunctionSupport::save_variables(node->ctx_, node.get());
      return outs[0];
    } else {
      static_assert(std::is_same_v<forward_return_t, variable_list>, "forward must return a Tensor or a variable_list");
      FunctionSupport::wrap_outputs(input_vars, node->ctx_, outputs, recorded);
      if (is_executable) FunctionSupport::save_variables(node->ctx_, node.get());
      return outputs;
    }
  }
};

}  // namespace nabla::autograd
