#include "nabla/autograd/node.h"

#include <atomic>

#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/meta.h"
#include "nabla/functions.h"

namespace nabla::autograd {

namespace {
std::atomic<uint64_t> g_sequence_nr{0};
}

Node::Node() : sequence_nr_(g_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}
Node::~Node() = default;

uint32_t Node::add_input_metadata(const Tensor& t) {
  input_metadata_.push_back(InputMetadata{DimVector(t.sizes()), t.scalar_type()});
  return static_cast<uint32_t>(input_metadata_.size() - 1);
}

void Node::set_input_metadata(uint32_t nr, const Tensor& t) {
  if (input_metadata_.size() <= nr) input_metadata_.resize(nr + 1);
  input_metadata_[nr] = InputMetadata{DimVector(t.sizes()), t.scalar_type()};
}

// Destroying the last reference to a node destroys its edges, whose nodes may then be
// destroyed in turn: a recursion as deep as the graph. Instead, a node released while another
// is being destroyed on this thread is queued, and the outermost call frees the queue.
void delete_node(Node* n) {
  thread_local std::vector<Node*> pending;
  thread_local bool active = false;
  if (active) {
    pending.push_back(n);
    return;
  }
  active = true;
  delete n;
  while (!pending.empty()) {
    Node* p = pending.back();
    pending.pop_back();
    delete p;
  }
  active = false;
}

void Node::call_pre_hooks(variable_list& grads) {
  for (auto& h : hooks_) {
    Tensor& g = grads[h.input_nr];
    if (!g.defined()) continue;
    Tensor r = h.fn(g);
    if (r.defined()) g = r;
  }
  for (auto& [nr, cell] : retained_) {
    const Tensor& g = grads[nr];
    if (!g.defined()) continue;
    if (!cell->defined()) {
      *cell = g.detach().clone();
    } else {
      *cell = *cell + g.detach();
    }
  }
}

AccumulateGrad::AccumulateGrad(Tensor variable) : variable_(std::move(variable)) {
  add_input_metadata(variable_);
}

variable_list AccumulateGrad::apply(variable_list&& grads) {
  Tensor g = std::move(grads.at(0));
  if (!g.defined()) return {};
  auto* meta = variable_.impl()->autograd_meta();
  Tensor& grad = meta->grad;
  if (!grad.defined()) {
    // The first gradient is stored as is (detached unless the graph is being built), like
    // PyTorch; it is cloned when anyone else may still hold it or its storage, so that a later
    // in-place accumulation cannot change another tensor.
    if (GradMode::is_enabled()) {
      grad = g;
    } else {
      bool sole = g.use_count() == 1 && g.impl()->storage().use_count() == 1 && g.is_contiguous() &&
                  g.storage_offset() == 0 && !g.requires_grad();
      grad = sole ? g.detach() : g.detach().clone();
    }
  } else if (!GradMode::is_enabled()) {
    grad.add_(g);
  } else {
    grad = grad + g;
  }
  return {};
}

void AccumulateGrad::call_pre_hooks(variable_list& grads) {
  Node::call_pre_hooks(grads);
  auto* meta = variable_.impl()->autograd_meta();
  if (!meta) return;
  for (auto& h : meta->leaf_hooks) {
    Tensor& g = grads[0];
    if (!g.defined()) continue;
    Tensor r = h.fn(g);
    if (r.defined()) g = r;
  }
}

}  // namespace nabla::autograd
