#include "stalled_write_watchdog.h"

#include <algorithm>
#include <utility>

namespace gridbridge::platform {

StalledWriteWatchdog::StalledWriteWatchdog(absl::Duration limit, std::function<bool()> needed,
                                           std::function<void()> cut)
    : limit_(absl::ToChronoNanoseconds(limit)),
      needed_(std::move(needed)),
      cut_(std::move(cut)),
      thread_([this] { Watch(); }) {}

StalledWriteWatchdog::~StalledWriteWatchdog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stopping_cv_.notify_all();
  thread_.join();
}

void StalledWriteWatchdog::WriteStarted() {
  std::lock_guard lock(mu_);
  writing_since_ = std::chrono::steady_clock::now();
}

void StalledWriteWatchdog::WriteEnded() {
  std::lock_guard lock(mu_);
  writing_since_.reset();
}

bool StalledWriteWatchdog::cut() const {
  std::lock_guard lock(mu_);
  return cut_done_;
}

void StalledWriteWatchdog::Watch() {
  const auto poll = std::min<std::chrono::nanoseconds>(limit_ / 4, std::chrono::seconds(1));
  std::unique_lock lock(mu_);
  while (!stopping_cv_.wait_for(lock, poll, [this] { return stopping_; })) {
    if (!writing_since_ || std::chrono::steady_clock::now() - *writing_since_ < limit_) continue;
    // Asked without the lock: `needed` takes other locks (a budget's).
    lock.unlock();
    const bool needed = needed_();
    lock.lock();
    if (!needed || stopping_ || !writing_since_ ||
        std::chrono::steady_clock::now() - *writing_since_ < limit_) {
      continue;
    }
    cut_done_ = true;
    lock.unlock();
    cut_();
    return;
  }
}

}  // namespace gridbridge::platform
