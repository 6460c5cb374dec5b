#pragma once
/// nabla::distributed: collectives across processes (torch.distributed's names), over MPI.
///   nabla::distributed::init_process_group("mpi");         // under mpirun -np 2 ./program
///   auto t = nabla::ones({4}) * nabla::distributed::get_rank();
///   nabla::distributed::all_reduce(t);                     // in place: sum over the ranks
///   auto work = nabla::distributed::all_reduce(t, ReduceOp::AVG, /*async_op=*/true);
///   work->wait();
///   nabla::distributed::destroy_process_group();
///
/// Note [Process groups]
/// A ProcessGroup is the interface the rest of nabla (DistributedDataParallel, the samplers'
/// users) talks to; a backend implements it. The one backend is MPI (built when CMake finds
/// MPI, NABLA_WITH_MPI); Gloo or NCCL would be other subclasses. Collectives run on the
/// group's own thread in the order they were issued, so that every rank issues them in the
/// same order and the caller's thread keeps computing (what DistributedDataParallel's overlap
/// of communication with backward relies on). A blocking collective (async_op = false) that
/// finds no other one queued or running runs on the caller's thread instead: handing it to the
/// group's thread and back would cost two thread switches, a large share of a few-MB
/// all-reduce on a busy machine; the group's thread watches the clock meanwhile. Every
/// collective first checks that all ranks passed tensors of the same dtype and element count
/// (one small exchange), so that a mismatch is a nabla::Error on every rank instead of
/// corrupted memory or an MPI abort. Waiting is bounded by the group's timeout: a rank that
/// failed (or never joins) makes the others fail within the timeout instead of hanging. An
/// async collective's wait() throws, and the group is unusable afterwards; a blocking one that
/// runs on the caller's thread cannot be interrupted, so the group's thread prints the same
/// error and ends the job (MPI_Abort), as destroying a group with a collective stuck does.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::distributed {

/// torch.distributed.ReduceOp. AVG needs floating-point tensors; for bool tensors SUM and MAX
/// are a logical or, MIN a logical and.
enum class ReduceOp { SUM, AVG, MAX, MIN };

/// torch.distributed's default_pg_timeout (30 minutes).
inline constexpr std::chrono::milliseconds kDefaultTimeout{30 * 60 * 1000};

/// A collective in flight (an async_op's result).
///   auto w = all_reduce(t, ReduceOp::SUM, true);  ...;  w->wait();
class Work {
 public:
  virtual ~Work() = default;
  /// Blocks until the collective finished (then its tensors hold the result), at most the
  /// group's timeout; throws nabla::Error when it failed or timed out. Returns true.
  virtual bool wait() = 0;
  /// Whether it finished (successfully or not) without blocking.
  virtual bool is_completed() = 0;
};

/// One set of processes that run collectives together (Note [Process groups]).
class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// "mpi".
  virtual std::string backend() const = 0;
  virtual std::chrono::milliseconds timeout() const = 0;
  /// The collectives return at once with a Work to wait() for; with async_op = false they
  /// return after the collective finished (a completed Work), run on the calling thread when
  /// no other collective is queued (Note [Process groups]).
  ///   group->allreduce({grad}, ReduceOp::AVG)->wait();
  /// Reduces each tensor over the ranks, in place.
  virtual std::shared_ptr<Work> allreduce(const std::vector<Tensor>& tensors, ReduceOp op = ReduceOp::SUM,
                                          bool async_op = true) = 0;
  /// Copies each tensor of rank `root` into the others' tensors.
  virtual std::shared_ptr<Work> broadcast(const std::vector<Tensor>& tensors, int root = 0, bool async_op = true) = 0;
  /// outputs[r] receives rank r's input (outputs: size() tensors of input's shape and dtype).
  virtual std::shared_ptr<Work> allgather(const std::vector<Tensor>& outputs, const Tensor& input,
                                          bool async_op = true) = 0;
  virtual std::shared_ptr<Work> barrier(bool async_op = true) = 0;
  /// Ends every process of the job at once (MPI_Abort): the way out when a rank cannot go on.
  [[noreturn]] virtual void abort(int exit_code = 1) = 0;
};

/// Whether nabla was built with the MPI backend (torch.distributed.is_mpi_available()).
bool is_mpi_available();
/// A new process group of every process of the job. backend: "mpi". MPI is initialised
/// unless the program already did (then it is also left for the program to finalise).
std::shared_ptr<ProcessGroup> new_process_group(const std::string& backend = "mpi",
                                                std::chrono::milliseconds timeout = kDefaultTimeout);

/// Makes the default group that the functions below use.
///   nabla::distributed::init_process_group("mpi");
void init_process_group(const std::string& backend = "mpi", std::chrono::milliseconds timeout = kDefaultTimeout);
bool is_initialized();
/// The default group (errors before init_process_group).
const std::shared_ptr<ProcessGroup>& default_process_group();
/// Finishes the default group's collectives and releases it. MPI itself stays initialised
/// until the process exits (then nabla finalises it, when nabla initialised it): MPI cannot be
/// initialised twice, so init_process_group may follow.
void destroy_process_group();
int get_rank();
int get_world_size();

/// With async_op the call returns at once and the result is there after wait(); otherwise it
/// returns nullptr after the collective finished (Python returns None).
///   nabla::distributed::all_reduce(grad, ReduceOp::AVG);
std::shared_ptr<Work> all_reduce(const Tensor& tensor, ReduceOp op = ReduceOp::SUM, bool async_op = false);
///   nabla::distributed::broadcast(weights, /*src=*/0);
std::shared_ptr<Work> broadcast(const Tensor& tensor, int src, bool async_op = false);
/// tensor_list[r] receives rank r's tensor.
///   std::vector<Tensor> out(get_world_size());  all_gather(out, t);
std::shared_ptr<Work> all_gather(std::vector<Tensor>& tensor_list, const Tensor& tensor, bool async_op = false);
std::shared_ptr<Work> barrier(bool async_op = false);

}  // namespace nabla::distributed
