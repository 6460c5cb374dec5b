#pragma once
/// libtorch's c10d::ProcessGroupMPI over nabla::distributed (the drop-in target nabla::torch):
///   auto pg = c10d::ProcessGroupMPI::createProcessGroupMPI();
///   std::vector<torch::Tensor> grads = {param.grad()};
///   pg->allreduce(grads)->wait();                      // summed over the ranks, in place
/// createProcessGroupMPI returns a std::shared_ptr, as the libtorch that pytorch/examples'
/// cpp/distributed/dist-mnist.cpp was written for (1.13 returns an intrusive_ptr).
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "nabla/distributed.h"

namespace c10d {

/// c10d::ReduceOp (torch.distributed.ReduceOp).
struct ReduceOp {
  enum RedOpType { SUM, AVG, MAX, MIN };
  ReduceOp(RedOpType op = SUM) : op_(op) {}   // NOLINT: implicit, as libtorch
  operator RedOpType() const { return op_; }  // NOLINT
  RedOpType op_;
};

struct AllreduceOptions {
  ReduceOp reduceOp = ReduceOp::SUM;
};
struct BroadcastOptions {
  int64_t rootRank = 0;
};

/// c10d::ProcessGroup: a group's rank, size and collectives, each returning a Work.
class ProcessGroup {
 public:
  /// A collective in flight; wait() blocks until it finished and throws when it failed.
  class Work {
   public:
    explicit Work(std::shared_ptr<nabla::distributed::Work> work) : work_(std::move(work)) {}
    virtual ~Work() = default;
    bool wait() { return work_->wait(); }
    bool isCompleted() { return work_->is_completed(); }

   private:
    std::shared_ptr<nabla::distributed::Work> work_;
  };

  explicit ProcessGroup(std::shared_ptr<nabla::distributed::ProcessGroup> group) : group_(std::move(group)) {}
  virtual ~ProcessGroup() = default;
  int getRank() const { return group_->rank(); }
  int getSize() const { return group_->size(); }

  /// Reduces each tensor over the ranks, in place (SUM unless opts say otherwise).
  template <typename T>
  std::shared_ptr<Work> allreduce(std::vector<T>& tensors, const AllreduceOptions& opts = AllreduceOptions()) {
    return std::make_shared<Work>(group_->allreduce(as_nabla(tensors), to_nabla(opts.reduceOp)));
  }
  template <typename T>
  std::shared_ptr<Work> broadcast(std::vector<T>& tensors, const BroadcastOptions& opts = BroadcastOptions()) {
    return std::make_shared<Work>(group_->broadcast(as_nabla(tensors), static_cast<int>(opts.rootRank)));
  }
  std::shared_ptr<Work> barrier() { return std::make_shared<Work>(group_->barrier()); }
  /// The nabla group underneath (for nabla::nn::parallel::DistributedDataParallelOptions).
  const std::shared_ptr<nabla::distributed::ProcessGroup>& group() const { return group_; }

 protected:
  template <typename T>
  static std::vector<nabla::Tensor> as_nabla(const std::vector<T>& tensors) {
    return std::vector<nabla::Tensor>(tensors.begin(), tensors.end());
  }
  static nabla::distributed::ReduceOp to_nabla(ReduceOp op) {
    switch (op) {
      case ReduceOp::AVG:
        return nabla::distributed::ReduceOp::AVG;
      case ReduceOp::MAX:
        return nabla::distributed::ReduceOp::MAX;
      case ReduceOp::MIN:
        return nabla::distributed::ReduceOp::MIN;
      case ReduceOp::SUM:
        break;
    }
    return nabla::distributed::ReduceOp::SUM;
  }
  std::shared_ptr<nabla::distributed::ProcessGroup> group_;
};

/// c10d::ProcessGroupMPI: every process of the mpirun job.
class ProcessGroupMPI : public ProcessGroup {
 public:
  using ProcessGroup::ProcessGroup;
  /// Initialises MPI unless the program did; a group of all ranks.
  static std::shared_ptr<ProcessGroupMPI> createProcessGroupMPI(std::vector<int> ranks = {}) {
    NABLA_CHECK(ranks.empty(), "createProcessGroupMPI: nabla's MPI groups span every rank (got a list of ",
                ranks.size(), " ranks)");
    return std::make_shared<ProcessGroupMPI>(nabla::distributed::new_process_group("mpi"));
  }
  /// Ends every process of the job (MPI_Abort).
  [[noreturn]] void abort() { group_->abort(1); }
};

}  // namespace c10d
