#include "nabla/autograd/node.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "core/internal.h"
#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/meta.h"
#include "nabla/functions.h"

namespace nabla::autograd {

namespace {
// Like PyTorch, sequence numbers count per thread: the order in which this thread created
// nodes.
thread_local uint64_t t_sequence_nr = 0;
// While the outermost ~Node on this thread frees a graph: the nodes still to free.
thread_local std::vector<std::shared_ptr<Node>>* t_pending = nullptr;

// The strides .grad gets (PyTorch's gradient layout contract): the variable's own when its
// elements are dense and do not overlap, row-major otherwise.
DimVector layout_strides(const Tensor& v) {
  if (v.is_contiguous()) return contiguous_strides(v.sizes());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < v.dim(); ++d)
    if (v.size(d) != 1) dims.push_back(d);
  std::sort(dims.begin(), dims.end(), [&](int64_t a, int64_t b) { return v.stride(a) < v.stride(b); });
  int64_t expected = 1;
  for (int64_t d : dims) {
    if (v.stride(d) != expected) return contiguous_strides(v.sizes());
    expected *= v.size(d);
  }
  return DimVector(v.strides());
}
}  // namespace

Node::Node() : sequence_nr_(t_sequence_nr++) {}

// Note [Destroying long graphs]
// Destroying the last reference to a node destroys its edges, whose nodes may then be
// destroyed in turn: a recursion as deep as the graph (a million-op chain overflows the
// stack). Instead, a destructor moves the edges it holds the last reference to onto a list
// owned by the outermost ~Node running on this thread, which frees that list in a loop.
Node::~Node() {
  std::vector<std::shared_ptr<Node>> local;
  auto* pending = t_pending ? t_pending : &local;
  // Dropping a reference that is not the last is harmless; doing it here (rather than with the
  // members) makes the last of several edges to one node see that it is the last.
  for (auto& e : next_edges_) {
    if (!e.function) continue;
    if (e.function.use_count() == 1) {
      pending->push_back(std::move(e.function));
    } else {
      e.function.reset();
    }
  }
  if (t_pending || local.empty()) return;  // an outer destructor frees what was queued
  t_pending = &local;
  while (!local.empty()) {
    std::shared_ptr<Node> p = std::move(local.back());
    local.pop_back();
    p.reset();
  }
  t_pending = nullptr;
}

uint32_t Node::add_input_metadata(const Tensor& t) {
  set_input_metadata(num_inputs_, t);
  return num_inputs_ - 1;
}

void Node::set_input_metadata(uint32_t nr, const Tensor& t) {
  if (nr >= num_inputs_) {
    num_inputs_ = nr + 1;
    if (nr > 0) more_inputs_.resize(nr);
  }
  InputMetadata& m = nr == 0 ? first_input_ : more_inputs_[nr - 1];
  m.shape = t.sizes();
  m.dtype = t.scalar_type();
}

namespace detail {

namespace {
// Free lists of node-sized blocks, by 32-byte size class; each block is its own malloc, so a
// block may be freed on another thread than the one that allocated it.
constexpr size_t kClassBytes = 32;
constexpr size_t kClasses = 32;  // blocks up to 1 KiB
constexpr size_t kMaxCached = 1 << 16;

struct FreeBlock {
  FreeBlock* next;
};

struct NodePool {
  FreeBlock* head[kClasses] = {};
  size_t count[kClasses] = {};
  ~NodePool();
};
thread_local NodePool t_pool;
thread_local bool t_pool_alive = true;  // false once t_pool was destroyed (thread exit)

NodePool::~NodePool() {
  t_pool_alive = false;
  for (auto*& h : head) {
    while (h) {
      FreeBlock* n = h->next;
      std::free(h);
      h = n;
    }
  }
}

size_t size_class(size_t bytes) { return (bytes + kClassBytes - 1) / kClassBytes; }
}  // namespace

void* allocate_node_memory(size_t bytes) {
  size_t c = size_class(bytes);
  if (c < kClasses && t_pool_alive) {
    if (FreeBlock* b = t_pool.head[c]) {
      t_pool.head[c] = b->next;
      --t_pool.count[c];
      return b;
    }
  }
  void* p = std::malloc(c * kClassBytes);
  if (!p) throw std::bad_alloc();
  return p;
}

void free_node_memory(void* p, size_t bytes) noexcept {
  size_t c = size_class(bytes);
  if (c < kClasses && t_pool_alive && t_pool.count[c] < kMaxCached) {
    auto* b = static_cast<FreeBlock*>(p);
    b->next = t_pool.head[c];
    t_pool.head[c] = b;
    ++t_pool.count[c];
    return;
  }
  std::free(p);
}

}  // namespace detail

void Node::call_pre_hooks(variable_list& grads) {
  for (auto& h : hooks_) {
    Tensor& g = grads[h.input_nr];
    if (!g.defined()) continue;
    Tensor r = h.fn(g);
    if (r.defined()) g = std::move(r);
  }
}

AccumulateGrad::AccumulateGrad(Tensor variable) : variable_(std::move(variable)) {
  is_accumulate_grad_ = true;
  add_input_metadata(variable_);
}

// Note [AccumulateGrad]
// As PyTorch: the first gradient is stolen (kept as .grad without a copy) when nothing else
// references it, grad mode is off and its layout is the variable's; otherwise it is copied
// (with create_graph the copy is recorded, so .grad has a grad_fn). Later gradients are added
// in place, or out of place while the graph of the backward pass is being built.
variable_list AccumulateGrad::apply(variable_list&& grads) {
  Tensor g = std::move(grads.at(0));
  if (!g.defined()) return {};
  auto* meta = variable_.impl()->autograd_meta();
  if (!meta || !meta->requires_grad) return {};
  Tensor& grad = meta->grad;
  if (!grad.defined()) {
    // Nabla also requires the storage to be unshared, so that .grad never aliases another
    // tensor that a later in-place accumulation would change.
    DimVector strides = layout_strides(variable_);
    bool sole = !GradMode::is_enabled() && g.use_count() == 1 && g.impl()->storage().use_count() == 1 &&
                !g.requires_grad() && g.strides() == strides.ref() && g.storage_offset() == 0;
    if (sole) {
      grad = std::move(g);
    } else {
      Tensor r = core::empty(variable_.sizes(), variable_.scalar_type());
      r = core::alias_with(r, r.sizes(), strides, 0);
      grad = r.copy_(g);
    }
  } else if (!GradMode::is_enabled()) {
    grad.add_(g);
  } else {
    grad = grad + g;
  }
  return {};
}

void AccumulateGrad::call_pre_hooks(variable_list& grads) {
  auto* meta = variable_.impl()->autograd_meta();
  if (!meta) return;
  for (auto& h : meta->leaf_hooks) {
    Tensor& g = grads[0];
    if (!g.defined()) continue;
    Tensor r = h.fn(g);
    if (r.defined()) g = std::move(r);
  }
}

}  // namespace nabla::autograd
