#pragma once
// The examples' one-line progress bar on stderr: redrawn in place (at most every 0.1 s) on a
// terminal; a line at every `marks`-th of the epoch otherwise (a log file stays short).
//   ProgressBar bar(epoch, loader.size(), 4);
//   bar.update(done, [&](double secs) { return "loss " + std::to_string(loss); });
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

class ProgressBar {
 public:
  ProgressBar(int64_t epoch, size_t total, size_t marks)
      : epoch_(epoch), total_(total), marks_(marks), tty_(isatty(STDERR_FILENO)) {}

  /// Draws the bar at `done` of `total` steps, followed by figures(seconds since the start),
  /// which is called only when the bar is drawn.
  template <typename Figures>
  void update(size_t done, Figures&& figures) {
    const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    if (!tty_ && done * marks_ / total_ == (done - 1) * marks_ / total_) return;
    if (tty_ && done != total_ && secs - last_draw_ < 0.1) return;
    last_draw_ = secs;
    const size_t width = 30, filled = width * done / total_;
    std::fprintf(stderr, "%sepoch %lld [%s%s] %zu/%zu  %s%s", tty_ ? "\r" : "", static_cast<long long>(epoch_),
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, total_,
                 std::string(figures(secs)).c_str(), tty_ ? "  " : "\n");
    if (tty_ && done == total_) std::fprintf(stderr, "\n");
  }

 private:
  using Clock = std::chrono::steady_clock;
  int64_t epoch_;
  size_t total_, marks_;
  bool tty_;
  Clock::time_point start_ = Clock::now();
  double last_draw_ = -1;
};
