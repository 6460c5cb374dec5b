// The default process group and torch.distributed's free functions over it.
#include <mutex>

#include "nabla/distributed.h"
#include "nabla/error.h"
#include "nabla/functions.h"

namespace nabla::distributed {

namespace detail {
#ifdef NABLA_WITH_MPI
std::shared_ptr<ProcessGroup> make_process_group_mpi(std::chrono::milliseconds timeout);
#endif
}  // namespace detail

namespace {

std::mutex default_mutex;
std::shared_ptr<ProcessGroup>& default_group() {
  static std::shared_ptr<ProcessGroup> group;
  return group;
}

// A blocking call has finished when the group returns; Python returns None for it.
std::shared_ptr<Work> result(std::shared_ptr<Work> work, bool async_op) { return async_op ? std::move(work) : nullptr; }

}  // namespace

bool is_mpi_available() {
#ifdef NABLA_WITH_MPI
  return true;
#else
  return false;
#endif
}

std::shared_ptr<ProcessGroup> new_process_group(const std::string& backend, std::chrono::milliseconds timeout) {
  NABLA_CHECK(backend == "mpi" || backend == "gloo" || backend == "nccl" || backend == "ucc", "Invalid backend: '",
              backend, "'");
  NABLA_CHECK(backend == "mpi", "Distributed package doesn't have ", backend,
              " built in: nabla's only backend is \"mpi\"");
  NABLA_CHECK(timeout.count() > 0, "init_process_group: the timeout must be positive, got ", timeout.count(), " ms");
#ifdef NABLA_WITH_MPI
  return detail::make_process_group_mpi(timeout);
#else
  throw Error(
      "Distributed package doesn't have MPI built in. MPI is only included if you build nabla on a host that "
      "has MPI installed (Debian: libopenmpi-dev).");
#endif
}

void init_process_group(const std::string& backend, std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(default_mutex);
  NABLA_CHECK(!default_group(), "trying to initialize the default process group twice!");
  default_group() = new_process_group(backend, timeout);
}

bool is_initialized() {
  std::lock_guard<std::mutex> lock(default_mutex);
  return default_group() != nullptr;
}

const std::shared_ptr<ProcessGroup>& default_process_group() {
  std::lock_guard<std::mutex> lock(default_mutex);
  NABLA_CHECK(default_group(),
              "Default process group has not been initialized, please make sure to call init_process_group.");
  return default_group();
}

void destroy_process_group() {
  std::shared_ptr<ProcessGroup> group;
  {
    std::lock_guard<std::mutex> lock(default_mutex);
    NABLA_CHECK(default_group(),
                "Default process group has not been initialized, please make sure to call init_process_group.");
    group = std::move(default_group());
  }
}

int get_rank() { return default_process_group()->rank(); }
int get_world_size() { return default_process_group()->size(); }

std::shared_ptr<Work> all_reduce(const Tensor& tensor, ReduceOp op, bool async_op) {
  return result(default_process_group()->allreduce({tensor}, op, async_op), async_op);
}

std::shared_ptr<Work> broadcast(const Tensor& tensor, int src, bool async_op) {
  return result(default_process_group()->broadcast({tensor}, src, async_op), async_op);
}

std::shared_ptr<Work> all_gather(std::vector<Tensor>& tensor_list, const Tensor& tensor, bool async_op) {
  const auto& group = default_process_group();
  NABLA_CHECK(tensor.defined(), "all_gather: got an undefined tensor");
  // Python needs the list filled with correctly-sized tensors; an empty list (or undefined
  // entries) is filled here.
  if (tensor_list.empty()) tensor_list.resize(static_cast<size_t>(group->size()));
  for (Tensor& t : tensor_list) {
    if (!t.defined()) t = empty(tensor.sizes(), tensor.scalar_type());
  }
  return result(group->allgather(tensor_list, tensor, async_op), async_op);
}

std::shared_ptr<Work> barrier(bool async_op) { return result(default_process_group()->barrier(async_op), async_op); }

}  // namespace nabla::distributed
