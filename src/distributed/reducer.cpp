// DistributedDataParallel's gradient reduction (Note [DDP reducer]).
#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "nabla/autograd/grad_mode.h"
#include "nabla/autograd/meta.h"
#include "nabla/error.h"
#include "nabla/functions.h"
#include "nabla/nn/parallel/distributed.h"

namespace nabla::nn::parallel::detail {

namespace {
using Clock = std::chrono::steady_clock;
// PyTorch's first bucket (dist._DEFAULT_FIRST_BUCKET_BYTES): small, so that the first
// all-reduce starts early in backward (nabla: never above bucket_cap_mb).
constexpr int64_t kFirstBucketBytes = 1024 * 1024;
}  // namespace

struct Bucket {
  std::vector<size_t> params;
  std::vector<int64_t> offsets;
  Tensor flat;
  size_t pending = 0;
  std::shared_ptr<distributed::Work> work;
};

struct ReducerState {
  std::shared_ptr<distributed::ProcessGroup> group;
  std::vector<Tensor> params;
  std::vector<Tensor> buffers;
  std::vector<unsigned> hooks;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of;
  std::vector<size_t> slot_of;
  bool broadcast_buffers = true;
  bool find_unused = false;
  bool require_sync = true;
  // One backward's reduction.
  bool expecting = false;
  bool started = false;  // a gradient was marked ready since prepare()
  std::vector<bool> ready;
  size_t next_bucket = 0;
  Tensor used;  // int32 per parameter: used locally, then by how many ranks
  std::shared_ptr<distributed::Work> used_work;
  std::chrono::nanoseconds wait_time{0};

  Tensor slot(size_t i) const {
    const Bucket& b = buckets[bucket_of[i]];
    const Tensor& p = params[i];
    return b.flat.narrow(0, b.offsets[slot_of[i]], p.numel()).view(p.sizes());
  }

  void prepare() {
    ready.assign(params.size(), false);
    for (Bucket& b : buckets) {
      b.pending = b.params.size();
      b.work.reset();
    }
    next_bucket = 0;
    used = zeros({static_cast<int64_t>(params.size())}, kInt);
    used_work.reset();
    wait_time = std::chrono::nanoseconds(0);
    expecting = true;
    started = false;
  }

  // Puts parameter i's gradient (g, plus what .grad() holds from no_sync() steps) in its slot.
  // Returns the gradient AccumulateGrad should use (undefined: keep g).
  Tensor mark_ready(size_t i, const Tensor& g, bool is_used) {
    NABLA_CHECK(!ready[i],
                "Expected to mark a variable ready only once. This error is caused by a parameter "
                "that gets its gradient more than once in one backward (e.g. a second backward with "
                "retain_graph=True) while DistributedDataParallel reduces gradients. Parameter index: ",
                i);
    NoGradGuard no_grad;
    Tensor s = slot(i);
    const Tensor& grad = params[i].grad();
    if (g.defined()) {
      s.copy_(g);
      if (grad.defined()) s.add_(grad);
    } else if (grad.defined()) {
      s.copy_(grad);
    } else {
      s.zero_();
    }
    ready[i] = true;
    started = true;
    if (is_used) used[static_cast<int64_t>(i)].fill_(1);
    --buckets[bucket_of[i]].pending;
    launch_ready();
    if (next_bucket == buckets.size()) return finalize(g.defined() ? static_cast<int64_t>(i) : -1);
    return Tensor();
  }

  // Buckets are launched in index order, so that every rank issues the same collectives in
  // the same order whatever order its hooks ran in.
  void launch_ready() {
    while (next_bucket < buckets.size() && buckets[next_bucket].pending == 0) {
      Bucket& b = buckets[next_bucket++];
      b.work = group->allreduce({b.flat}, distributed::ReduceOp::AVG);
      if (next_bucket == buckets.size() && find_unused)
        used_work = group->allreduce({used}, distributed::ReduceOp::SUM);
    }
  }

  // Waits for every bucket and writes the averages into .grad(); `current` is the parameter
  // whose hook is running (its AccumulateGrad has yet to run: it gets the average through the
  // returned gradient, with its .grad() emptied first).
  Tensor finalize(int64_t current) {
    expecting = false;
    const auto start = Clock::now();
    for (Bucket& b : buckets) b.work->wait();
    if (used_work) used_work->wait();
    wait_time = Clock::now() - start;
    NoGradGuard no_grad;
    Tensor result;
    for (size_t i = 0; i < params.size(); ++i) {
      if (find_unused && used[static_cast<int64_t>(i)].item<int32_t>() == 0) continue;
      Tensor s = slot(i);
      if (static_cast<int64_t>(i) == current) {
        params[i].mutable_grad() = Tensor();
        result = s;
      } else if (params[i].grad().defined()) {
        params[i].mutable_grad().copy_(s);
      } else {
        params[i].mutable_grad() = s.clone();
      }
    }
    return result;
  }
};

Reducer::Reducer(std::vector<Tensor> parameters, std::vector<Tensor> buffers,
                 const DistributedDataParallelOptions& options)
    : state_(std::make_shared<ReducerState>()) {
  ReducerState& st = *state_;
  st.group = options.process_group() ? options.process_group() : distributed::default_process_group();
  for (Tensor& p : parameters) {
    if (p.requires_grad()) st.params.push_back(p);
  }
  st.buffers = std::move(buffers);
  st.broadcast_buffers = options.broadcast_buffers();
  st.find_unused = options.find_unused_parameters();
  NABLA_CHECK(options.bucket_cap_mb() > 0, "DistributedDataParallel: bucket_cap_mb must be positive, got ",
              options.bucket_cap_mb());

  // Rank 0's model everywhere.
  std::vector<Tensor> state = st.params;
  state.insert(state.end(), st.buffers.begin(), st.buffers.end());
  if (!state.empty()) st.group->broadcast(state, 0, /*async_op=*/false);

  // Buckets: parameters in reverse order, one dtype per bucket (Note [DDP reducer]).
  const auto cap = static_cast<int64_t>(options.bucket_cap_mb() * 1024 * 1024);
  st.bucket_of.resize(st.params.size());
  st.slot_of.resize(st.params.size());
  int64_t limit = std::min(kFirstBucketBytes, cap), bytes = 0;
  std::vector<int64_t> sizes;
  for (size_t k = st.params.size(); k-- > 0;) {
    const Tensor& p = st.params[k];
    const bool fits =
        !st.buckets.empty() && bytes < limit && p.scalar_type() == st.params[st.buckets.back().params[0]].scalar_type();
    if (!fits) {
      if (!st.buckets.empty()) limit = cap;
      st.buckets.emplace_back();
      sizes.push_back(0);
      bytes = 0;
    }
    Bucket& b = st.buckets.back();
    st.bucket_of[k] = st.buckets.size() - 1;
    st.slot_of[k] = b.params.size();
    b.params.push_back(k);
    b.offsets.push_back(sizes.back());
    sizes.back() += p.numel();
    bytes += p.numel() * static_cast<int64_t>(elementSize(p.scalar_type()));
  }
  for (size_t j = 0; j < st.buckets.size(); ++j) {
    Bucket& b = st.buckets[j];
    b.flat = zeros({sizes[j]}, st.params[b.params[0]].scalar_type());
  }

  std::weak_ptr<ReducerState> weak = state_;
  for (size_t i = 0; i < st.params.size(); ++i) {
    st.hooks.push_back(st.params[i].register_hook([weak, i](const Tensor& g) -> Tensor {
      auto s = weak.lock();
      if (!s || !s->expecting) return Tensor();
      return s->mark_ready(i, g, true);
    }));
  }
}

Reducer::~Reducer() {
  for (size_t i = 0; i < state_->params.size(); ++i) state_->params[i].remove_hook(state_->hooks[i]);
}

void Reducer::before_forward() {
  ReducerState& st = *state_;
  // A forward that no backward followed (an evaluation with grad mode on) leaves nothing to
  // finish; a backward that did not reach every parameter does.
  NABLA_CHECK(!st.expecting || !st.started,
              "Expected to have finished reduction in the prior iteration before starting a new one. This error "
              "indicates that your module has parameters that were not used in producing loss. You can enable "
              "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
              "`torch.nn.parallel.DistributedDataParallel` (nabla: "
              "DistributedDataParallelOptions().find_unused_parameters(true)), and by making sure all `forward` "
              "function outputs participate in calculating loss.");
  if (st.broadcast_buffers && st.group->size() > 1 && !st.buffers.empty())
    st.group->broadcast(st.buffers, 0, /*async_op=*/false);
}

void Reducer::after_forward(const std::vector<Tensor>& outputs) {
  ReducerState& st = *state_;
  if (!GradMode::is_enabled() || !st.require_sync || st.params.empty()) return;
  st.prepare();
  if (!st.find_unused) return;
  NABLA_CHECK(!outputs.empty(),
              "DistributedDataParallel: find_unused_parameters needs the wrapped module's forward to return a "
              "Tensor (the graph is searched from it for the parameters it used)");
  // The graph's nodes reachable from the outputs; a parameter whose AccumulateGrad is not
  // among them gets no gradient in this backward.
  std::unordered_set<const autograd::Node*> seen;
  std::vector<const autograd::Node*> stack;
  for (const Tensor& out : outputs) {
    if (out.defined() && out.grad_fn() && seen.insert(out.grad_fn().get()).second) stack.push_back(out.grad_fn().get());
  }
  while (!stack.empty()) {
    const autograd::Node* n = stack.back();
    stack.pop_back();
    for (const autograd::Edge& e : n->next_edges()) {
      if (e.function && seen.insert(e.function.get()).second) stack.push_back(e.function.get());
    }
  }
  for (size_t i = 0; i < st.params.size() && st.expecting; ++i) {
    auto acc = autograd::grad_accumulator(st.params[i]);
    if (!seen.count(acc.get())) st.mark_ready(i, Tensor(), false);
  }
}

void Reducer::set_require_sync(bool on) { state_->require_sync = on; }
bool Reducer::require_sync() const { return state_->require_sync; }

std::vector<std::vector<size_t>> Reducer::bucket_indices() const {
  std::vector<std::vector<size_t>> out;
  for (const Bucket& b : state_->buckets) out.push_back(b.params);
  return out;
}

size_t Reducer::buckets_launched() const { return state_->next_bucket; }
std::chrono::nanoseconds Reducer::last_wait_time() const { return state_->wait_time; }

}  // namespace nabla::nn::parallel::detail
