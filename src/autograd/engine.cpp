// The backward engine: dependency counting over the graph reachable from the roots, input
// buffers that sum gradients arriving on several paths, and a ready stack — no recursion, so
// graphs of any depth run in constant stack space.
#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>

#include "autograd/op.h"
#include "core/internal.h"
#include "nabla/autograd.h"
#include "nabla/functions.h"
#include "nabla/warning.h"

namespace nabla::autograd {

namespace {

thread_local bool t_anomaly = false;

// Note [Gradients are summed to the input's shape]
// A backward formula may return a gradient in the broadcast shape of the op (e.g. a + b with
// a: [3, 1], b: [4]); each node records the shape and dtype of the tensors its forward op
// produced, and the engine reduces every gradient to the receiving input's shape (summing
// the broadcast dims) and dtype before buffering it. Backward formulas never reduce.
Tensor sum_to_shape(const Tensor& g, IntArrayRef shape, Node* fn, size_t i) {
  auto invalid = [&] {
    return Error(nabla::detail::str("Function ", fn->name(), " returned an invalid gradient at index ", i, " - got ",
                                    g.sizes(), " but expected shape compatible with ", shape));
  };
  int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  if (lead < 0) throw invalid();
  DimVector dims;
  for (int64_t d = 0; d < lead; ++d) dims.push_back(d);
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t gs = g.size(lead + static_cast<int64_t>(d));
    if (shape[d] == 1 && gs != 1) {
      dims.push_back(lead + static_cast<int64_t>(d));
    } else if (shape[d] != gs) {
      throw invalid();
    }
  }
  Tensor r = dims.empty() ? g : g.sum(dims, /*keepdim=*/true);
  return r.view(shape);
}

void check_nan(Node* n, const variable_list& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& g = outputs[i];
    if (!g.defined() || !g.is_floating_point()) continue;
    bool bad = false;
    {
      AutoGradMode off(false);
      Tensor c = g.detach().to(kDouble).contiguous();
      const double* p = c.data_ptr<double>();
      for (int64_t k = 0; k < c.numel() && !bad; ++k) bad = std::isnan(p[k]);
    }
    if (bad) {
      throw Error(nabla::detail::str("Function '", n->name(), "' returned nan values in its ", i, "th output. ",
                                     n->anomaly_trace()));
    }
  }
}

// What one backward run knows about a node of the graph.
struct Slot {
  Node* fn = nullptr;
  int32_t deps = 0;      // edges from nodes of this run not yet executed
  bool needed = true;    // must run for the requested gradients
  bool target = false;   // its gradient is captured (grad()) or accumulated (backward(inputs))
  variable_list buffer;  // incoming gradients, summed
};

// Note [Engine bookkeeping]
// Each run keeps its own table from node to slot (open addressing on the node's address), so
// that a run never writes into the nodes it visits: several runs may share a graph — one
// started from a hook or a custom Function on this thread, or runs on other threads into
// shared leaves and shared non-leaves (PyTorch allows both). What a run allocates is kept by
// the thread for its next run (a nested run takes another set).
struct RunStorage {
  struct Entry {
    Node* key = nullptr;
    uint32_t slot = 0;
  };
  std::vector<Entry> table;  // power-of-two size, at most half full
  std::vector<Slot> slots;
};
thread_local std::vector<std::unique_ptr<RunStorage>> t_spare_runs;

class GraphTask {
  static constexpr size_t kFirstEntries = 64;
  static constexpr size_t kKeptEntries = 1 << 14;

 public:
  GraphTask() {
    if (!t_spare_runs.empty()) {
      run_ = std::move(t_spare_runs.back());
      t_spare_runs.pop_back();
    } else {
      run_ = std::make_unique<RunStorage>();
      run_->table.resize(kFirstEntries);
    }
  }
  ~GraphTask() {
    auto& slots = run_->slots;
    if (run_->table.size() > kKeptEntries) {
      run_->table.assign(kFirstEntries, {});  // a huge graph's table is not kept
    } else {
      // Undone in reverse order of insertion, each key is found where it was put.
      for (size_t k = slots.size(); k-- > 0;) run_->table[position(slots[k].fn)] = {};
    }
    slots.clear();
    if (t_spare_runs.size() < 4) t_spare_runs.push_back(std::move(run_));
  }
  GraphTask(const GraphTask&) = delete;
  GraphTask& operator=(const GraphTask&) = delete;

  Slot* find(Node* fn) {
    const auto& e = run_->table[position(fn)];
    return e.key ? &run_->slots[e.slot] : nullptr;
  }
  uint32_t slot_of(Node* fn) { return run_->table[position(fn)].slot; }
  uint32_t add(Node* fn) {
    if (2 * (run_->slots.size() + 1) > run_->table.size()) grow();
    const auto k = static_cast<uint32_t>(run_->slots.size());
    run_->table[position(fn)] = {fn, k};
    run_->slots.emplace_back();
    run_->slots.back().fn = fn;
    return k;
  }
  std::vector<Slot>& slots() { return run_->slots; }

 private:
  // Where fn is in the table, or the empty entry where it would go (linear probing).
  size_t position(Node* fn) const {
    const auto& t = run_->table;
    const size_t mask = t.size() - 1;
    auto h = static_cast<size_t>((reinterpret_cast<uintptr_t>(fn) >> 4) * 0x9E3779B97F4A7C15ull);
    size_t i = (h >> 20) & mask;
    while (t[i].key && t[i].key != fn) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    auto& t = run_->table;
    t.assign(t.size() * 2, {});
    const auto& slots = run_->slots;
    for (size_t k = 0; k < slots.size(); ++k) t[position(slots[k].fn)] = {slots[k].fn, static_cast<uint32_t>(k)};
  }
  std::unique_ptr<RunStorage> run_;
};

struct Target {
  Node* fn;
  uint32_t nr;
};

enum class Mode { kAccumulate, kCapture };

// Visits the graph below `roots` (iterative DFS): one slot per node, dependency counts, and
// with targets, which nodes are needed: a node is needed when one of its edges leads to a
// target (accumulating: or it is a target itself) or to a needed node.
void discover(GraphTask& task, const std::vector<Edge>& roots, const std::vector<Target>& targets, Mode mode) {
  const bool filtered = !targets.empty();
  struct Frame {
    uint32_t slot;
    size_t next;
  };
  std::vector<Frame> stack;
  auto visit = [&](Node* c) {
    if (Slot* s = task.find(c)) {
      ++s->deps;
      return;
    }
    uint32_t k = task.add(c);
    Slot& s = task.slots()[k];
    s.deps = 1;
    for (const auto& t : targets) s.target = s.target || t.fn == c;
    stack.push_back({k, 0});
  };
  for (const Edge& e : roots)
    if (e.function) visit(e.function.get());
  while (!stack.empty()) {
    Frame& f = stack.back();
    Node* n = task.slots()[f.slot].fn;
    if (f.next < n->num_outputs()) {
      Node* c = n->next_edge(f.next++).function.get();
      if (c) visit(c);
      continue;
    }
    uint32_t k = f.slot;
    stack.pop_back();
    if (!filtered) continue;
    Slot& s = task.slots()[k];
    bool needed = s.target && mode == Mode::kAccumulate;
    for (const Edge& e : n->next_edges()) {
      if (!e.function || needed) continue;
      Slot& c = *task.find(e.function.get());
      needed = c.target || c.needed;
    }
    s.needed = needed;
  }
}

// Input buffers whose apply has run, kept for reuse by later nodes of the run.
using SpareBuffers = std::vector<variable_list>;

void deliver(Slot& slot, uint32_t input_nr, Tensor g, SpareBuffers& spare) {
  Node* fn = slot.fn;
  const InputMetadata& meta = fn->input_metadata(input_nr);
  if (g.sizes() != meta.shape.ref()) g = sum_to_shape(g, meta.shape, fn, input_nr);
  if (g.scalar_type() != meta.dtype) g = g.to(meta.dtype);
  auto& buf = slot.buffer;
  if (buf.empty()) {
    if (!spare.empty()) {
      buf = std::move(spare.back());
      spare.pop_back();
    }
    buf.resize(fn->num_inputs());
  }
  Tensor& s = buf[input_nr];
  s = s.defined() ? s + g : std::move(g);
}

// Note [Leaf gradients first]
// The nodes that just became ready are taken from the top of the stack; the AccumulateGrad
// nodes among them go on top, so that a leaf's gradient is accumulated (and its hooks run) as
// soon as it is computed, not after the depth-first walk down to the graph's inputs. PyTorch's
// engine does the same (AccumulateGrad has its highest priority); DistributedDataParallel
// relies on it to start the all-reduce of the last layers' gradients while backward computes
// the first layers'. The order of each group is kept.
void run_accumulate_grad_first(GraphTask& task, std::vector<uint32_t>& ready, size_t first_new) {
  size_t others = first_new;
  for (size_t k = first_new; k < ready.size(); ++k) {
    if (task.slots()[ready[k]].fn->is_accumulate_grad()) continue;
    std::rotate(ready.begin() + static_cast<std::ptrdiff_t>(others), ready.begin() + static_cast<std::ptrdiff_t>(k),
                ready.begin() + static_cast<std::ptrdiff_t>(k + 1));
    ++others;
  }
}

// Runs the graph below `roots`. In capture mode the gradients arriving at `targets` are
// returned (before the targets' hooks run, as PyTorch's autograd.grad) and AccumulateGrad
// nodes do not run; in accumulate mode only the needed nodes run when targets are given.
variable_list execute(const std::vector<Edge>& roots, variable_list root_grads, bool keep_graph, bool create_graph,
                      const std::vector<Target>& targets, Mode mode) {
  GraphTask task;
  discover(task, roots, targets, mode);
  AutoGradMode grad_mode(create_graph);
  const bool anomaly = t_anomaly;
  variable_list captured(mode == Mode::kCapture ? targets.size() : 0);
  std::vector<uint32_t> ready;
  SpareBuffers spare;

  for (size_t i = 0; i < roots.size(); ++i) {
    const Edge& e = roots[i];
    if (!e.function) continue;
    Slot& s = *task.find(e.function.get());
    deliver(s, e.input_nr, std::move(root_grads[i]), spare);
    if (--s.deps == 0) ready.push_back(task.slot_of(e.function.get()));
  }

  while (!ready.empty()) {
    uint32_t k = ready.back();
    ready.pop_back();
    Slot& slot = task.slots()[k];
    Node* fn = slot.fn;
    variable_list inputs = std::move(slot.buffer);
    inputs.resize(fn->num_inputs());
    if (slot.target && mode == Mode::kCapture) {
      for (size_t i = 0; i < targets.size(); ++i)
        if (targets[i].fn == fn) captured[i] = inputs[targets[i].nr];
    }
    if (!slot.needed || (mode == Mode::kCapture && fn->is_accumulate_grad())) continue;

    variable_list outputs;
    bool any = false;
    {
      std::lock_guard<std::recursive_mutex> lock(fn->mutex());
      fn->call_pre_hooks(inputs);
      // A node that received no gradient at all passes none on (its children still count it).
      for (const auto& g : inputs) any = any || g.defined();
      if (any) {
        outputs = fn->apply(std::move(inputs));
        if (!keep_graph) fn->release_variables();
      }
    }
    if (any) {
      // apply takes the vector by reference: whatever it left of it is reused.
      if (inputs.capacity() > 0) {
        inputs.clear();
        spare.push_back(std::move(inputs));
      }
      if (anomaly) check_nan(fn, outputs);
      NABLA_CHECK(outputs.size() == fn->num_outputs() || outputs.empty(), "Function ", fn->name(),
                  " returned an invalid number of gradients - expected ", fn->num_outputs(), ", but got ",
                  outputs.size());
    }
    const size_t first_new = ready.size();
    for (size_t i = 0; i < fn->num_outputs(); ++i) {
      const Edge& e = fn->next_edge(i);
      Node* c = e.function.get();
      if (!c) continue;
      const uint32_t ck = task.slot_of(c);
      Slot& cs = task.slots()[ck];
      if (i < outputs.size() && outputs[i].defined() && (cs.needed || cs.target)) {
        deliver(cs, e.input_nr, std::move(outputs[i]), spare);
      }
      if (--cs.deps == 0) ready.push_back(ck);
    }
    run_accumulate_grad_first(task, ready, first_new);
  }
  return captured;
}

void make_roots(const variable_list& outputs, const variable_list& grad_outputs, std::vector<Edge>& edges,
                variable_list& grads) {
  NABLA_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "got ", outputs.size(), " tensors and ",
              grad_outputs.size(), " gradients");
  edges.reserve(outputs.size());
  grads.reserve(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    NABLA_CHECK(out.requires_grad(), "element ", i, " of tensors does not require grad and does not have a grad_fn");
    edges.push_back(gradient_edge(out));
    Tensor g = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!g.defined()) {
      NABLA_CHECK(out.numel() == 1, "grad can be implicitly created only for scalar outputs");
      g = ones_like(out);
    } else {
      NABLA_CHECK(g.sizes() == out.sizes(), "Mismatch in shape: grad_output[", i, "] has a shape of torch.Size(",
                  g.sizes(), ") and output[", i, "] has a shape of torch.Size(", out.sizes(), ").");
    }
    grads.push_back(std::move(g));
  }
}

}  // namespace

bool anomaly_mode_enabled() { return t_anomaly; }
bool AnomalyMode::is_enabled() { return t_anomaly; }
void AnomalyMode::set_enabled(bool enabled) { t_anomaly = enabled; }
DetectAnomalyGuard::DetectAnomalyGuard(bool) : prev_(t_anomaly) { t_anomaly = true; }
DetectAnomalyGuard::~DetectAnomalyGuard() { t_anomaly = prev_; }

namespace detail {
void record_anomaly(Node* node) {
  std::string name = node->name();
  auto pos = name.find("Backward");
  std::string op = pos == std::string::npos ? name : name.substr(0, pos);
  node->set_anomaly_trace(nabla::detail::str("Error detected in ", name, ", created by the forward op '", op,
                                             "' (sequence number ", node->sequence_nr(), ")."));
}
}  // namespace detail

void backward(const variable_list& tensors, const variable_list& grad_tensors, std::optional<bool> retain_graph,
              bool create_graph, const variable_list& inputs) {
  std::vector<Edge> edges;
  variable_list grads;
  make_roots(tensors, grad_tensors, edges, grads);
  std::vector<Target> targets;
  std::vector<Edge> keep;  // holds the inputs' nodes alive during the run
  for (const auto& in : inputs) {
    // As PyTorch: a non-leaf input keeps its gradient through retain_grad().
    if (!in.is_leaf() || !in.requires_grad()) in.retain_grad();
    Edge e = gradient_edge(in);
    targets.push_back({e.function.get(), e.input_nr});
    keep.push_back(std::move(e));
  }
  if (create_graph) {
    warn(
        "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
        "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
        "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
        "to None after use to break the cycle and avoid the leak.");
  }
  execute(edges, std::move(grads), retain_graph.value_or(create_graph), create_graph, targets, Mode::kAccumulate);
}

variable_list grad(const variable_list& outputs, const variable_list& inputs, const variable_list& grad_outputs,
                   std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
  std::vector<Edge> edges;
  variable_list grads;
  make_roots(outputs, grad_outputs, edges, grads);
  std::vector<Target> targets;
  std::vector<Edge> keep;  // holds the inputs' AccumulateGrad nodes alive during the run
  for (const auto& in : inputs) {
    NABLA_CHECK(in.requires_grad(), "One of the differentiated Tensors does not require grad");
    Edge e = gradient_edge(in);
    targets.push_back({e.function.get(), e.input_nr});
    keep.push_back(std::move(e));
  }
  NABLA_CHECK(!inputs.empty(), "grad requires non-empty inputs.");
  variable_list result =
      execute(edges, std::move(grads), retain_graph.value_or(create_graph), create_graph, targets, Mode::kCapture);
  for (size_t i = 0; i < result.size(); ++i) {
    NABLA_CHECK(result[i].defined() || allow_unused,
                "One of the differentiated Tensors appears to not have been used in the graph. Set "
                "allow_unused=True if this is the desired behavior.");
  }
  return result;
}

}  // namespace nabla::autograd
