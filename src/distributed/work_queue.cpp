#include "distributed/work_queue.h"

#include <exception>

#include "nabla/error.h"

namespace nabla::distributed::detail {

QueuedWork::QueuedWork(std::string what, int rank, std::chrono::milliseconds timeout, std::function<void()> finish,
                       std::shared_ptr<GroupHealth> health)
    : what_(std::move(what)), rank_(rank), timeout_(timeout), finish_(std::move(finish)), health_(std::move(health)) {}

void QueuedWork::complete(std::string error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    error_ = std::move(error);
  }
  cv_.notify_all();
}

bool QueuedWork::is_completed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

bool QueuedWork::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!cv_.wait_for(lock, timeout_, [&] { return done_; })) {
    // Note [Process groups]: the collective is still pending on the group's thread, so the
    // group cannot run another one; every later call fails at once with this reason.
    std::string message = ::nabla::detail::str(
        "[Rank ", rank_, "] ", what_, " timed out after ", timeout_.count(),
        " ms: not every rank joined it (a rank may have failed, exited or be waiting in another collective)");
    health_->reason = message;
    health_->broken = true;
    throw Error(message);
  }
  if (!error_.empty()) throw Error(error_);
  if (!finished_) {
    finished_ = true;
    if (finish_) finish_();
  }
  return true;
}

WorkQueue::WorkQueue() : thread_([this] { run(); }) {}

WorkQueue::~WorkQueue() {
  // The group stopped the queue before; a thread still running is stuck in a collective that
  // will never finish, and is left to the end of the process.
  if (thread_.joinable() && !stop(std::chrono::milliseconds(0))) thread_.detach();
}

void WorkQueue::push(std::shared_ptr<QueuedWork> work, std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.emplace_back(std::move(work), std::move(task));
  }
  cv_.notify_all();
}

bool WorkQueue::stop(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  cv_.notify_all();
  if (!cv_.wait_for(lock, limit, [&] { return exited_; })) return false;
  lock.unlock();
  if (thread_.joinable()) thread_.join();
  return true;
}

void WorkQueue::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) break;
    auto [work, task] = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    std::string error;
    try {
      task();
    } catch (const std::exception& e) {
      error = e.what();
    }
    work->complete(std::move(error));
    lock.lock();
  }
  exited_ = true;
  cv_.notify_all();
}

}  // namespace nabla::distributed::detail
