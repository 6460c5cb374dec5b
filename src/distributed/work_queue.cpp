#include "distributed/work_queue.h"

#include <algorithm>
#include <exception>

#include "nabla/error.h"

namespace nabla::distributed::detail {

namespace {
// How often the queue's thread looks at the clock while blocking collectives run inline.
constexpr std::chrono::milliseconds kWatchPeriod{100};
// Deadlines further away than this are treated as this far (no overflow of the clock).
constexpr std::chrono::hours kLongestLimit{24 * 365};
}  // namespace

std::string timeout_message(const char* what, int rank, std::chrono::milliseconds timeout) {
  return ::nabla::detail::str(
      "[Rank ", rank, "] ", what, " timed out after ", timeout.count(),
      " ms: not every rank joined it (a rank may have failed, exited or be waiting in another collective)");
}

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
    std::string message = timeout_message(what_.c_str(), rank_, timeout_);
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

bool WorkQueue::run_inline(const std::function<void()>& task, std::chrono::milliseconds limit,
                           std::function<void()> on_timeout) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (busy_ || stopping_ || !tasks_.empty()) return false;
    busy_ = true;
    inline_running_ = true;
    inline_deadline_ = Clock::now() + std::min<std::chrono::milliseconds>(limit, kLongestLimit);
    on_timeout_ = std::move(on_timeout);
    ++inline_calls_;
    wake = !watching_;
    watching_ = true;
  }
  if (wake) cv_.notify_all();
  try {
    task();
  } catch (...) {
    end_inline();
    throw;
  }
  end_inline();
  return true;
}

void WorkQueue::end_inline() {
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_ = false;
    inline_running_ = false;
    queued = !tasks_.empty();
  }
  if (queued) cv_.notify_all();
}

void WorkQueue::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  uint64_t seen = 0;
  for (;;) {
    if (!busy_ && !tasks_.empty()) {
      auto [work, task] = std::move(tasks_.front());
      tasks_.pop_front();
      busy_ = true;
      lock.unlock();
      std::string error;
      try {
        task();
      } catch (const std::exception& e) {
        error = e.what();
      }
      work->complete(std::move(error));
      lock.lock();
      busy_ = false;
      continue;
    }
    if (inline_running_ && Clock::now() >= inline_deadline_) {
      inline_deadline_ = Clock::time_point::max();
      std::function<void()> on_timeout = on_timeout_;
      lock.unlock();
      if (on_timeout) on_timeout();
      lock.lock();
      continue;
    }
    if (stopping_ && !busy_) break;
    if (watching_) {
      // Note [Process groups]: watching costs the blocking collectives no thread switch; the
      // thread only sleeps for good after a period in which none ran.
      if (!inline_running_ && seen == inline_calls_) {
        watching_ = false;
        continue;
      }
      seen = inline_calls_;
      auto until = Clock::now() + kWatchPeriod;
      if (inline_running_) until = std::min(until, inline_deadline_);
      cv_.wait_until(lock, until);
      continue;
    }
    cv_.wait(lock);
  }
  exited_ = true;
  cv_.notify_all();
}

}  // namespace nabla::distributed::detail
