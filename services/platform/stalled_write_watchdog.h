#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/time/time.h"

namespace gridbridge::platform {

// Ends a streaming call whose peer stopped reading, once what the call
// holds is wanted elsewhere. gRPC's synchronous Write blocks for as long as
// the peer leaves its flow-control window full (the sync API has no write
// deadline), and a stream blocked that way keeps whatever it holds (rows of
// a shared budget, say) from everyone else. The watchdog's own thread looks
// every quarter of `limit` (at most every second): when one write has been
// blocked for at least `limit` and `needed()` says others are waiting, it
// calls `cut` (which should cancel the call, unblocking the write), once.
// A slow reader nobody waits on is left alone.
class StalledWriteWatchdog {
 public:
  StalledWriteWatchdog(absl::Duration limit, std::function<bool()> needed,
                       std::function<void()> cut);
  // Stops the thread (without cutting).
  ~StalledWriteWatchdog();
  StalledWriteWatchdog(const StalledWriteWatchdog&) = delete;
  StalledWriteWatchdog& operator=(const StalledWriteWatchdog&) = delete;

  // Bracket each write: WriteStarted before it, WriteEnded after it.
  void WriteStarted();
  void WriteEnded();
  // Whether `cut` was called.
  bool cut() const;

 private:
  void Watch();

  const std::chrono::nanoseconds limit_;
  const std::function<bool()> needed_;
  const std::function<void()> cut_;
  mutable std::mutex mu_;
  std::condition_variable stopping_cv_;
  bool stopping_ = false;
  bool cut_done_ = false;
  std::optional<std::chrono::steady_clock::time_point> writing_since_;
  std::thread thread_;  // last: starts once the rest is set up
};

}  // namespace gridbridge::platform
