#pragma once
// The thread a process group runs its collectives on, in issue order (Note [Process groups]),
// the blocking collectives it watches while they run on the caller's thread, and the Work
// handed to callers.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
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

/// "[Rank r] what timed out after N ms: ...", the error of a collective that did not finish.
std::string timeout_message(const char* what, int rank, std::chrono::milliseconds timeout);

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

/// The Work of a blocking collective: already finished when the caller gets it.
class CompletedWork final : public Work {
 public:
  bool wait() override { return true; }
  bool is_completed() override { return true; }
};

/// One thread running tasks in the order they were pushed; it also watches the tasks that
/// run_inline runs on the caller's thread.
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
  /// Runs task on the calling thread when no task is queued or running (Note [Process
  /// groups]) and returns true; false (task not run) otherwise. When the task has not
  /// returned after `limit`, the queue's thread calls on_timeout (which ends the process).
  ///   if (!queue.run_inline(task, timeout, abort_job)) { queue.push(work, task); work->wait(); }
  bool run_inline(const std::function<void()>& task, std::chrono::milliseconds limit, std::function<void()> on_timeout);

 private:
  using Clock = std::chrono::steady_clock;
  void run();
  void end_inline();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<std::shared_ptr<QueuedWork>, std::function<void()>>> tasks_;
  bool busy_ = false;  // a task runs, on the thread or inline
  // The task run_inline runs: whether one does, when it times out, what then, and how many
  // have run (the thread watches while they keep coming, then sleeps until woken).
  bool inline_running_ = false;
  Clock::time_point inline_deadline_;
  std::function<void()> on_timeout_;
  uint64_t inline_calls_ = 0;
  bool watching_ = false;
  bool stopping_ = false;
  bool exited_ = false;
  std::thread thread_;
};

}  // namespace nabla::distributed::detail
