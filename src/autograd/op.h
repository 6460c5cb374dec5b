#pragma once
// The one mechanism every differentiable op goes through (GUIDE §2):
//
//   struct Mul {
//     static constexpr const char* name = "MulBackward0";
//     Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b) {
//       ctx.save(a, b);
//       return kernels::mul(a, b);
//     }
//     variable_list backward(Ctx& ctx, const variable_list& g) {
//       auto [a, b] = ctx.saved<2>();
//       return {g[0] * b, g[0] * a};    // written with differentiable ops: double backward is free
//     }
//   };
//   Tensor mul(const Tensor& a, const Tensor& b) { return autograd::apply<Mul>(a, b); }
//
// apply<Op> runs forward with grad mode off; when grad mode is on and a tensor argument
// requires grad, it creates a node holding the Op object (members hold non-tensor state such
// as dims or shapes) and the Ctx (saved tensors), connects one next edge per tensor argument
// in argument order, and makes every floating output an output of that node. backward
// returns one gradient per tensor argument (undefined where none); the engine sums each to
// its input's shape and dtype (Note [Gradients are summed to the input's shape]).
#include <array>
#include <optional>
#include <tuple>
#include <type_traits>
#include <vector>

#include "autograd/saved_variable.h"
#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/meta.h"
#include "nabla/autograd/node.h"

namespace nabla::autograd {

bool anomaly_mode_enabled();

class Ctx {
 public:
  explicit Ctx(Node* node) : node_(node) {}
  /// Whether a node is being recorded (saving is skipped otherwise).
  bool recording() const { return node_ != nullptr; }
  /// Whether the gradient of the i-th tensor argument is needed.
  bool needs_input_grad(size_t i) const { return node_ && node_->should_compute_output(i); }

  /// Saves tensor arguments (or anything that is not an output of this op).
  template <typename... Ts>
  void save(const Ts&... ts) {
    if (!node_) return;
    saved_.reserve(saved_.size() + sizeof...(Ts));
    (save_one(ts), ...);
  }
  /// Saves an output of this op (kept without a reference cycle).
  void save_output(const Tensor& t) {
    if (node_) saved_.emplace_back(t, true);
  }
  Tensor saved(size_t i) const { return saved_.at(i).unpack(node_); }
  template <size_t N>
  std::array<Tensor, N> saved() const {
    std::array<Tensor, N> out;
    for (size_t i = 0; i < N; ++i) out[i] = saved(i);
    return out;
  }
  void release() {
    for (auto& s : saved_) s.reset();
  }
  /// The saved tensors, for graph pictures (Node::saved_info).
  std::vector<SavedInfo> saved_info() const {
    std::vector<SavedInfo> out;
    for (const auto& s : saved_)
      if (s.defined()) out.push_back(s.info());
    return out;
  }
  /// Set by in-place ops to the tensor they overwrite: saving it keeps a copy of its old value
  /// (PyTorch's original_self); saving it a second time keeps the tensor itself.
  void set_inplace_target(const TensorImpl* t) { inplace_target_ = self_ = t; }

 private:
  Tensor prepare(const Tensor& t) const;
  Node* node_;
  std::vector<SavedVariable> saved_;
  mutable const TensorImpl* inplace_target_ = nullptr;
  const TensorImpl* self_ = nullptr;  // self of an in-place op (stays set)

  // Self saved a second time (x.mul_(x)) becomes this node's output: it is kept like a saved
  // output (no reference cycle node → self → node), and its version check fails in backward,
  // as in PyTorch.
  void save_one(const Tensor& t) {
    if (self_ && !inplace_target_ && t.defined() && t.unsafeGetTensorImpl() == self_) {
      saved_.emplace_back(t, true);
      return;
    }
    saved_.emplace_back(prepare(t), false);
  }
};

namespace detail {
inline bool requires_grad_of(const Tensor& t) { return t.defined() && t.requires_grad(); }
inline bool requires_grad_of(const std::optional<Tensor>& t) { return t && requires_grad_of(*t); }
inline bool requires_grad_of(TensorList ts) {
  for (const auto& t : ts)
    if (requires_grad_of(t)) return true;
  return false;
}
inline bool requires_grad_of(const std::vector<Tensor>& ts) { return requires_grad_of(TensorList(ts)); }
template <typename T>
bool requires_grad_of(const T&) {
  return false;
}

inline size_t num_tensors(const Tensor&) { return 1; }
inline size_t num_tensors(const std::optional<Tensor>&) { return 1; }
inline size_t num_tensors(TensorList ts) { return ts.size(); }
inline size_t num_tensors(const std::vector<Tensor>& ts) { return ts.size(); }
template <typename T>
size_t num_tensors(const T&) {
  return 0;
}

inline void add_edges(std::vector<Edge>& e, const Tensor& t) {
  e.push_back(t.defined() ? gradient_edge(t) : Edge());
}
inline void add_edges(std::vector<Edge>& e, const std::optional<Tensor>& t) {
  e.push_back(t && t->defined() ? gradient_edge(*t) : Edge());
}
inline void add_edges(std::vector<Edge>& e, TensorList ts) {
  for (const auto& t : ts) add_edges(e, t);
}
inline void add_edges(std::vector<Edge>& e, const std::vector<Tensor>& ts) { add_edges(e, TensorList(ts)); }
template <typename T>
void add_edges(std::vector<Edge>&, const T&) {}

inline bool any_edge(const std::vector<Edge>& e) {
  for (const auto& x : e)
    if (x.is_valid()) return true;
  return false;
}

void set_output_history(const std::shared_ptr<Node>& node, const Tensor& out, uint32_t nr);
/// Records that the outputs of a view op (Op::is_view) view `input` (PyTorch's _base).
void set_view_base(const Tensor& out, const Tensor& input);
void set_view_base(const std::vector<Tensor>& outs, const Tensor& input);
void record_anomaly(Node* node);

template <typename Out>
void connect_outputs(const std::shared_ptr<Node>& node, Out& out) {
  if constexpr (std::is_same_v<Out, Tensor>) {
    set_output_history(node, out, 0);
  } else if constexpr (std::is_same_v<Out, std::vector<Tensor>>) {
    for (size_t i = 0; i < out.size(); ++i) set_output_history(node, out[i], static_cast<uint32_t>(i));
  } else {
    uint32_t i = 0;
    std::apply([&](auto&... t) { (set_output_history(node, t, i++), ...); }, out);
  }
}
/// The operands of an op on narrow dtypes, converted to their compute types, and the dtype
/// its results are rounded back to (Note [Narrow dtypes compute wide]; src/autograd/narrow.cpp).
/// The conversions are differentiable: gradients reach the narrow inputs in their dtype.
class Widening {
 public:
  Tensor wide(const Tensor& t);
  std::optional<Tensor> wide(const std::optional<Tensor>& t);
  TensorList wide(TensorList ts);
  std::vector<Tensor> wide(const std::vector<Tensor>& ts);
  /// A dtype argument (x.sum(dtype)): the op computes in its compute type and the result gets
  /// that dtype.
  ScalarType wide(ScalarType t);
  std::optional<ScalarType> wide(const std::optional<ScalarType>& t);
  template <typename T>
  const T& wide(const T& v) {
    return v;
  }

  Tensor narrow(const Tensor& out) const;
  std::vector<Tensor> narrow(std::vector<Tensor> outs) const;
  template <typename... Ts>
  std::tuple<Ts...> narrow(std::tuple<Ts...> outs) const {
    std::apply([&](auto&... t) { ((t = narrow(t)), ...); }, outs);
    return outs;
  }

 private:
  void note(const Tensor& t);
  std::vector<Tensor> operands_;            // the original tensor operands
  std::vector<std::vector<Tensor>> lists_;  // storage of widened TensorLists
  std::optional<ScalarType> requested_;     // a dtype argument
};

inline bool has_narrow(const Tensor& t) { return t.defined() && isNarrowType(t.scalar_type()); }
inline bool has_narrow(const std::optional<Tensor>& t) { return t && has_narrow(*t); }
inline bool has_narrow(TensorList ts) {
  for (const auto& t : ts)
    if (has_narrow(t)) return true;
  return false;
}
inline bool has_narrow(const std::vector<Tensor>& ts) { return has_narrow(TensorList(ts)); }
inline bool has_narrow(ScalarType t) { return isNarrowType(t); }
inline bool has_narrow(const std::optional<ScalarType>& t) { return t && isNarrowType(*t); }
template <typename T>
bool has_narrow(const T&) {
  return false;
}
/// Whether apply<Op> computes Op in the compute types: not for views (they alias their input)
/// nor for ops that copy any dtype as it is (Op::dtype_blind: clone, to, copy_, fill_, cat).
template <typename Op>
constexpr bool computes_wide() {
  constexpr bool is_view = requires { Op::is_view; };
  constexpr bool dtype_blind = requires { Op::dtype_blind; };
  return !is_view && !dtype_blind;
}
/// self.copy_(r) recorded as an in-place copy: how an in-place op on narrow dtypes stores its result.
void copy_narrow_result(Tensor& self, const Tensor& r);
}  // namespace detail

/// The node type apply<Op> creates: the Op object, its Ctx and the op's name.
template <typename Op>
struct OpNode final : Node {
  OpNode() : ctx(this) {}
  std::string name() const override { return Op::name; }
  variable_list apply(variable_list&& grads) override { return op.backward(ctx, grads); }
  void release_variables() override { ctx.release(); }
  std::vector<SavedInfo> saved_info() const override { return ctx.saved_info(); }
  Op op;
  Ctx ctx;
};

namespace detail {
/// apply<Op> once the operands are in compute types; `narrowing` (when not null) rounds the
/// results back before they become the node's outputs, so that grad_fn is Op's node.
template <typename Op, typename... Args>
auto apply_computed(const Widening* narrowing, const Args&... args) {
  if (!GradMode::is_enabled() || !(detail::requires_grad_of(args) || ...)) {
    Op op;
    Ctx ctx(nullptr);
    if constexpr (requires { Op::is_view; }) {
      // Views made while grad mode is on remember their base even when nothing requires grad
      // yet: an in-place op on them may later give the base a history.
      auto out = op.forward(ctx, args...);
      if (GradMode::is_enabled()) detail::set_view_base(out, std::get<0>(std::tie(args...)));
      return out;
    } else {
      // One call of forward per path: each call site inlines the op's dtype dispatch.
      auto out = op.forward(ctx, args...);
      if constexpr (detail::computes_wide<Op>()) {
        if (narrowing) out = narrowing->narrow(out);
      }
      return out;
    }
  }
  auto node = make_node<OpNode<Op>>();
  auto& edges = node->mutable_next_edges();
  edges.reserve((detail::num_tensors(args) + ...));
  (detail::add_edges(edges, args), ...);
  decltype(node->op.forward(node->ctx, args...)) out;
  {
    AutoGradMode no_grad(false);
    out = node->op.forward(node->ctx, args...);
    if constexpr (detail::computes_wide<Op>()) {
      if (narrowing) out = narrowing->narrow(out);
    }
  }
  detail::connect_outputs(std::shared_ptr<Node>(node), out);
  if constexpr (requires { Op::is_view; }) detail::set_view_base(out, std::get<0>(std::tie(args...)));
  if (anomaly_mode_enabled()) detail::record_anomaly(node.get());
  return out;
}
}  // namespace detail

template <typename Op, typename... Args>
auto apply(const Args&... args) {
  if constexpr (detail::computes_wide<Op>()) {
    if ((detail::has_narrow(args) || ...)) {
      detail::Widening w;
      return detail::apply_computed<Op>(&w, w.wide(args)...);
    }
  }
  return detail::apply_computed<Op>(nullptr, args...);
}

}  // namespace nabla::autograd

namespace nabla::autograd {

/// Checks PyTorch's rule for in-place ops on leaves and returns whether the in-place op
/// must be recorded.
void check_inplace(const Tensor& self);
/// Makes self (just overwritten in place by the op that `node` records) the output of node;
/// when self is a view, the history of its base is rewritten (CopySlices) and self becomes a
/// view of the new base (Note [In-place on views]).
void rebase_history(Tensor& self, const std::shared_ptr<Node>& node, uint32_t output_nr = 0);
/// Writes src (same shape as dst after broadcasting) into dst's memory and bumps its version.
void write_inplace_result(Tensor& dst, const Tensor& src);

/// In-place form of an op: self.op_(args...) computes op(self, args...) and writes it into
/// self, which becomes the op's output in the graph.
template <typename Op, typename... Args>
Tensor& apply_inplace(Tensor& self, const Args&... args) {
  check_inplace(self);
  if constexpr (detail::computes_wide<Op>()) {
    if (detail::has_narrow(self) || (detail::has_narrow(args) || ...)) {
      detail::copy_narrow_result(self, apply<Op>(self, args...));
      return self;
    }
  }
  bool record = GradMode::is_enabled() &&
                (detail::requires_grad_of(self) || (detail::requires_grad_of(args) || ...));
  if (!record) {
    Op op;
    Ctx ctx(nullptr);
    Tensor r = op.forward(ctx, self, args...);
    write_inplace_result(self, r);
    return self;
  }
  auto node = make_node<OpNode<Op>>();
  auto& edges = node->mutable_next_edges();
  edges.reserve(1 + (detail::num_tensors(args) + ... + 0));
  detail::add_edges(edges, self);
  (detail::add_edges(edges, args), ...);
  node->ctx.set_inplace_target(self.unsafeGetTensorImpl());
  Tensor r;
  {
    AutoGradMode no_grad(false);
    r = node->op.forward(node->ctx, self, args...);
    write_inplace_result(self, r);
  }
  rebase_history(self, node);
  if (anomaly_mode_enabled()) detail::record_anomaly(node.get());
  return self;
}

}  // namespace nabla::autograd
