#pragma once
// The thread a process group runs its collectives on, in issue order (Note [Process groups]),
// and the Work handed to callers.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "nabla/distributed.h"

namespace nabla::distributed::detail {

/// Whether a group is still usable; shared by the group and its works.
struct GroupHealth {
  std::atomic<bool> broken{false};
  std::string reason;
};

/// A collective queued on a WorkQueue. The worker calls complete(); wait() runs `finish` (the
/// caller-side half: averaging, copying into non-contiguous targets) once, on the waiting thread.
class QueuedWork final : public Work {
 public:
  QueuedWork(std::string what, int rank, std::chrono::milliseconds timeout, std::function<void()> finish,
             std::shared_ptr<GroupHealth> health);
  bool wait() override;
  bool is_completed() override;
  /// Called by the worker: error is empty on success.
  void complete(std::string error);

 private:
  std::string what_;
  int rank_;
  std::chrono::milliseconds timeout_;
  std::function<void()> finish_;
  std::shared_ptr<GroupHealth> health_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool finished_ = false;
  std::string error_;
};

/// One thread running tasks in the order they were pushed.
class WorkQueue {
 public:
  WorkQueue();
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  /// Runs task on the thread, then completes work with the nabla::Error it threw, if any.
  void push(std::shared_ptr<QueuedWork> work, std::function<void()> task);
  /// Lets the queued tasks finish and ends the thread; false when that took longer than
  /// `limit` (a collective some rank never joined): the thread is then left running.
  bool stop(std::chrono::milliseconds limit);

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<std::shared_ptr<QueuedWork>, std::function<void()>>> tasks_;
  bool stopping_ = false;
  bool exited_ = false;
  std::thread thread_;
};

}  // namespace nabla::distributed::detail
