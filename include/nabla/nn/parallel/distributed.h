#pragma once
/// nn::parallel::DistributedDataParallel: Python's torch.nn.parallel.DistributedDataParallel.
/// Each process trains a replica on its shard of the batch; backward averages the gradients
/// over the processes, so every replica takes the same optimizer step.
///   nabla::distributed::init_process_group("mpi");
///   auto ddp = nabla::nn::parallel::DistributedDataParallel(net.ptr());
///   auto loss = nabla::nn::functional::cross_entropy(ddp->forward(x), y);
///   loss.backward();                                  // gradients averaged over the ranks
///   { auto guard = ddp->no_sync(); ddp->forward(x2).sum().backward(); }   // accumulate only
///
/// Note [DDP reducer]
/// As PyTorch's Reducer: the parameters are split into buckets (in reverse registration order,
/// which is roughly the order backward produces their gradients; the first bucket 1 MB, the
/// others bucket_cap_mb). A hook on every parameter copies its gradient (plus what .grad()
/// already holds from no_sync() steps) into its bucket's flat buffer; a bucket whose gradients
/// are all there is all-reduced at once, asynchronously (buckets in index order, the same on
/// every rank), while backward goes on computing the others (the engine accumulates a leaf's
/// gradient as soon as it is computed: Note [Leaf gradients first]). When the last bucket is launched,
/// the hook waits for all of them and writes the averages into .grad(). Parameters that get no
/// gradient: with find_unused_parameters, forward walks the graph from its output and marks
/// the parameters it cannot reach as ready (zeros), and a used-map all-reduced with the last
/// bucket leaves .grad() alone for parameters no rank used; without it, the reduction cannot
/// finish and the next forward says so.
#include <chrono>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

#include "nabla/distributed.h"
#include "nabla/nn/module.h"
#include "nabla/nn/options.h"

namespace nabla::nn::parallel {

struct DistributedDataParallelOptions {
  /// The group to average over (default: the default process group).
  NABLA_ARG(std::shared_ptr<distributed::ProcessGroup>, process_group) = nullptr;
  /// Size of each bucket of gradients all-reduced together, in MiB (Note [DDP reducer]).
  NABLA_ARG(double, bucket_cap_mb) = 25;
  /// Broadcast rank 0's buffers (BatchNorm statistics) before each forward.
  NABLA_ARG(bool, broadcast_buffers) = true;
  /// Find the parameters a forward did not use, so that the reduction can finish without them.
  NABLA_ARG(bool, find_unused_parameters) = false;
};

namespace detail {

struct ReducerState;

/// The gradient reduction of DistributedDataParallel (Note [DDP reducer]).
class Reducer {
 public:
  Reducer(std::vector<Tensor> parameters, std::vector<Tensor> buffers, const DistributedDataParallelOptions& options);
  ~Reducer();
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;
  /// Checks that the previous reduction finished; broadcasts the buffers.
  void before_forward();
  /// Prepares the hooks for the backward of `outputs` (when grad mode is on and syncing).
  void after_forward(const std::vector<Tensor>& outputs);
  /// Whether backward reduces (false inside no_sync()).
  void set_require_sync(bool on);
  bool require_sync() const;
  /// The number of buckets and the parameter indices in each (for tests and benchmarks).
  std::vector<std::vector<size_t>> bucket_indices() const;
  /// How many buckets' all-reduces the current (or last) backward has started so far.
  size_t buckets_launched() const;
  /// Time the last backward spent waiting for all-reduces that had not finished yet.
  std::chrono::nanoseconds last_wait_time() const;

 private:
  std::shared_ptr<ReducerState> state_;
};

}  // namespace detail

/// Turns gradient synchronisation off for its lifetime (Python's `with ddp.no_sync():`).
class NoSyncGuard {
 public:
  explicit NoSyncGuard(detail::Reducer& reducer) : reducer_(&reducer), prev_(reducer.require_sync()) {
    reducer.set_require_sync(false);
  }
  ~NoSyncGuard() { reducer_->set_require_sync(prev_); }
  NoSyncGuard(const NoSyncGuard&) = delete;
  NoSyncGuard& operator=(const NoSyncGuard&) = delete;

 private:
  detail::Reducer* reducer_;
  bool prev_;
};

/// The module around the wrapped one: its state_dict keys are "module.<key>", as Python's.
template <typename M>
class DistributedDataParallelImpl : public Module {
 public:
  /// Broadcasts rank 0's parameters and buffers to every rank.
  explicit DistributedDataParallelImpl(std::shared_ptr<M> module, const DistributedDataParallelOptions& options = {})
      : module_(register_module("module", std::move(module))),
        reducer_(module_->parameters(), module_->buffers(), options) {}

  /// Calls the wrapped module's forward.
  template <typename... Args>
  auto forward(Args&&... args) {
    reducer_.before_forward();
    auto out = module_->forward(std::forward<Args>(args)...);
    if constexpr (std::is_same_v<std::decay_t<decltype(out)>, Tensor>) {
      reducer_.after_forward({out});
    } else {
      reducer_.after_forward({});
    }
    return out;
  }

  ///   { auto guard = ddp->no_sync(); loss.backward(); }   // .grad() accumulates locally
  [[nodiscard]] NoSyncGuard no_sync() { return NoSyncGuard(reducer_); }
  const std::shared_ptr<M>& module() const { return module_; }
  detail::Reducer& reducer() { return reducer_; }

 private:
  std::shared_ptr<M> module_;
  detail::Reducer reducer_;
};

/// The holder: DistributedDataParallel(net.ptr()) deduces the wrapped module's type.
template <typename M>
class DistributedDataParallel : public ModuleHolder<DistributedDataParallelImpl<M>> {
 public:
  using ModuleHolder<DistributedDataParallelImpl<M>>::ModuleHolder;
  explicit DistributedDataParallel(std::shared_ptr<M> module, const DistributedDataParallelOptions& options = {})
      : ModuleHolder<DistributedDataParallelImpl<M>>(
            std::make_shared<DistributedDataParallelImpl<M>>(std::move(module), options)) {}
};
template <typename M>
DistributedDataParallel(std::shared_ptr<M>) -> DistributedDataParallel<M>;
template <typename M>
DistributedDataParallel(std::shared_ptr<M>, const DistributedDataParallelOptions&) -> DistributedDataParallel<M>;

}  // namespace nabla::nn::parallel
