// The MPI backend of ProcessGroup (Note [Process groups]): OpenMPI or any MPI-3 library. The
// collectives run on each group's own thread or the caller's, so MPI is initialised with
// MPI_THREAD_MULTIPLE (several groups may be in a collective at once); a program that
// initialised MPI itself with MPI_THREAD_SERIALIZED can use one group at a time.
// The C API only (OpenMPI's C++ bindings are deprecated and warn under -Wextra).
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "distributed/staging.h"
#include "distributed/work_queue.h"
#include "nabla/autograd/grad_mode.h"
#include "nabla/error.h"
#include "nabla/functions.h"

namespace nabla::distributed::detail {

namespace {

// Note [MPI lifetime]
// MPI can be initialised once per process and never again after MPI_Finalize. So nabla
// initialises it on the first group (unless the program did) and finalises it at exit, after
// the default group is gone; destroying a group does not end MPI, so init_process_group may
// follow destroy_process_group.
std::mutex mpi_mutex;
bool nabla_initialised_mpi = false;
std::atomic<int> live_groups{0};

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (is_initialized()) destroy_process_group();
  if (live_groups.load() == 0) MPI_Finalize();
}

void init_mpi() {
  std::lock_guard<std::mutex> lock(mpi_mutex);
  int initialised = 0, finalized = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalized);
  NABLA_CHECK(!finalized, "init_process_group: MPI was finalized in this process; it cannot be initialized again");
  if (!initialised) {
    int provided = 0;
    NABLA_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided) == MPI_SUCCESS,
                "init_process_group: MPI_Init_thread failed");
    nabla_initialised_mpi = true;
    std::atexit(finalize_at_exit);
  }
  int level = 0;
  MPI_Query_thread(&level);
  NABLA_CHECK(level >= MPI_THREAD_SERIALIZED,
              "init_process_group: MPI was initialized without MPI_THREAD_SERIALIZED support, which the 'mpi' "
              "backend needs (initialize it with MPI_Init_thread(..., MPI_THREAD_SERIALIZED, ...))");
}

MPI_Datatype mpi_type(ScalarType t) {
  switch (t) {
    case kByte:
      return MPI_UINT8_T;
    case kInt:
      return MPI_INT32_T;
    case kLong:
      return MPI_INT64_T;
    case kFloat:
      return MPI_FLOAT;
    case kDouble:
      return MPI_DOUBLE;
    case kBool:
      return MPI_C_BOOL;
    case kHalf:
      return MPI_UINT16_T;  // moved as bits only: check_reduce_op refuses to reduce float16
    case kShort:
      return MPI_INT16_T;
    case kChar:
      return MPI_INT8_T;
  }
  return MPI_DATATYPE_NULL;
}

MPI_Op mpi_op(ReduceOp op, ScalarType t) {
  if (t == kBool) return op == ReduceOp::MIN ? MPI_LAND : MPI_LOR;
  switch (op) {
    case ReduceOp::SUM:
    case ReduceOp::AVG:
      return MPI_SUM;
    case ReduceOp::MAX:
      return MPI_MAX;
    case ReduceOp::MIN:
      return MPI_MIN;
  }
  return MPI_SUM;
}

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw Error(::nabla::detail::str(what, ": MPI failed: ", std::string(text, static_cast<size_t>(len))));
}

class ProcessGroupMPI final : public ProcessGroup {
 public:
  explicit ProcessGroupMPI(std::chrono::milliseconds timeout) : timeout_(timeout) {
    init_mpi();
    // A communicator of its own, so that the program's MPI messages never match the group's.
    check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "init_process_group");
    // Errors come back as codes (check_mpi turns them into nabla::Error), not MPI aborts.
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    ++live_groups;
  }

  ~ProcessGroupMPI() override {
    // Note [Process groups]: a collective some rank never joined would keep the thread in MPI
    // forever; after waiting a timeout for it, the job is ended rather than left hanging.
    if (!queue_.stop(timeout_)) {
      std::fprintf(stderr,
                   "[Rank %d] nabla::distributed: a collective did not finish within %lld ms while the "
                   "process group was destroyed; aborting the job (MPI_Abort)\n",
                   rank_, static_cast<long long>(timeout_.count()));
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Comm_free(&comm_);
    --live_groups;
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  std::chrono::milliseconds timeout() const override { return timeout_; }

  std::shared_ptr<Work> allreduce(const std::vector<Tensor>& tensors, ReduceOp op, bool async_op) override {
    check_usable("all_reduce");
    for (const Tensor& t : tensors) {
      NABLA_CHECK(t.defined(), "all_reduce: got an undefined tensor");
      check_reduce_op(op, t.scalar_type());
    }
    Staged s = stage("all_reduce", tensors);
    const int world = size_;
    auto finish = [s, op, world] {
      if (op == ReduceOp::AVG) {
        NoGradGuard no_grad;
        for (Tensor b : s.buffers) b.div_(world);
      }
      unstage(s);
    };
    return submit("all_reduce", async_op, std::move(finish), [this, s, op] {
      for (const Tensor& b : s.buffers) {
        check_match("all_reduce", 1 + static_cast<int64_t>(op), b);
        check_mpi(MPI_Allreduce(MPI_IN_PLACE, b.data_ptr(), count(b), mpi_type(b.scalar_type()),
                                mpi_op(op, b.scalar_type()), comm_),
                  "all_reduce");
      }
    });
  }

  std::shared_ptr<Work> broadcast(const std::vector<Tensor>& tensors, int root, bool async_op) override {
    check_usable("broadcast");
    NABLA_CHECK(root >= 0 && root < size_, "Invalid rootRank: ", root, " (the group has ", size_, " ranks)");
    Staged s = stage("broadcast", tensors, /*copy_in=*/rank_ == root);
    return submit(
        "broadcast", async_op, [s] { unstage(s); },
        [this, s, root] {
          for (const Tensor& b : s.buffers) {
            check_match("broadcast", 10 + root, b);
            check_mpi(MPI_Bcast(b.data_ptr(), count(b), mpi_type(b.scalar_type()), root, comm_), "broadcast");
          }
        });
  }

  std::shared_ptr<Work> allgather(const std::vector<Tensor>& outputs, const Tensor& input, bool async_op) override {
    check_usable("all_gather");
    NABLA_CHECK(input.defined(), "all_gather: got an undefined tensor");
    NABLA_CHECK(outputs.size() == static_cast<size_t>(size_), "all_gather: the output list has ", outputs.size(),
                " tensors, the group has ", size_, " ranks");
    for (const Tensor& o : outputs) {
      NABLA_CHECK(o.defined() && o.sizes() == input.sizes() && o.scalar_type() == input.scalar_type(),
                  "all_gather: every output tensor must have the input's shape ", input.sizes(), " and dtype ",
                  dtype_name(input.scalar_type()));
    }
    Staged in = stage("all_gather", {input});
    // One contiguous block receives all ranks' values; finish splits it into the outputs.
    std::vector<int64_t> shape{static_cast<int64_t>(size_)};
    for (int64_t d : input.sizes()) shape.push_back(d);
    Tensor all = empty(IntArrayRef(shape), input.scalar_type());
    auto finish = [outputs, all] {
      NoGradGuard no_grad;
      for (size_t r = 0; r < outputs.size(); ++r) {
        Tensor out = outputs[r];
        out.copy_(all[static_cast<int64_t>(r)]);
      }
    };
    return submit("all_gather", async_op, std::move(finish), [this, in, all] {
      const Tensor& b = in.buffers[0];
      check_match("all_gather", 20, b);
      check_mpi(MPI_Allgather(b.data_ptr(), count(b), mpi_type(b.scalar_type()), all.data_ptr(), count(b),
                              mpi_type(b.scalar_type()), comm_),
                "all_gather");
    });
  }

  std::shared_ptr<Work> barrier(bool async_op) override {
    check_usable("barrier");
    return submit("barrier", async_op, nullptr, [this] { check_mpi(MPI_Barrier(comm_), "barrier"); });
  }

  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::abort();
  }

 private:
  static int count(const Tensor& t) {
    NABLA_CHECK(t.numel() <= INT32_MAX, "the 'mpi' backend handles at most ", INT32_MAX, " elements per tensor, got ",
                t.numel());
    return static_cast<int>(t.numel());
  }

  void check_usable(const char* what) const {
    NABLA_CHECK(!health_->broken, what, ": the process group is unusable after an earlier failure: ", health_->reason);
  }

  // Note [Process groups]: one small all-reduce tells every rank whether all passed the same
  // collective, element count and dtype (each value and its negation, reduced by MAX).
  void check_match(const char* what, int64_t kind, const Tensor& t) {
    const int64_t mine[3] = {kind, t.numel(), static_cast<int64_t>(t.scalar_type())};
    int64_t v[6] = {mine[0], mine[1], mine[2], -mine[0], -mine[1], -mine[2]};
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, v, 6, MPI_INT64_T, MPI_MAX, comm_), what);
    NABLA_CHECK(v[0] == -v[3], what, ": the ranks called different collectives (or ", what,
                " with different arguments) at the same point");
    NABLA_CHECK(v[1] == -v[4], what, ": the ranks passed tensors of different sizes (this rank: ", t.numel(),
                " elements, shape ", t.sizes(), "; others between ", -v[4], " and ", v[1], " elements)");
    NABLA_CHECK(v[2] == -v[5], what,
                ": the ranks passed tensors of different dtypes (this rank: ", dtype_name(t.scalar_type()), ")");
  }

  // Note [Process groups]: a blocking collective runs on this thread unless others are queued.
  std::shared_ptr<Work> submit(const char* what, bool async_op, std::function<void()> finish,
                               std::function<void()> task) {
    if (!async_op && queue_.run_inline(task, timeout_, [this, what] { abort_after_timeout(what); })) {
      if (finish) finish();
      return std::make_shared<CompletedWork>();
    }
    auto work = std::make_shared<QueuedWork>(what, rank_, timeout_, std::move(finish), health_);
    queue_.push(work, std::move(task));
    if (!async_op) work->wait();
    return work;
  }

  // Called on the group's thread when a blocking collective on the caller's thread timed out.
  void abort_after_timeout(const char* what) {
    std::fprintf(stderr, "%s; ending the job (MPI_Abort)\n", timeout_message(what, rank_, timeout_).c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

  std::chrono::milliseconds timeout_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  std::shared_ptr<GroupHealth> health_ = std::make_shared<GroupHealth>();
  WorkQueue queue_;
};

}  // namespace

std::shared_ptr<ProcessGroup> make_process_group_mpi(std::chrono::milliseconds timeout) {
  return std::make_shared<ProcessGroupMPI>(timeout);
}

}  // namespace nabla::distributed::detail
