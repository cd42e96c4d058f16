#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace gridbridge::platform {

// A dependency check: OK when the dependency answers.
struct DependencyCheck {
  std::string name;  // "redis", "kafka"
  std::function<absl::Status()> check;
};

// Runs every check each `interval` on its own thread and calls
// `on_change(serving)` whenever "all dependencies up" flips (and once at
// start). Exports gridbridge_dependency_up{dependency} as 0/1.
class HealthMonitor {
 public:
  HealthMonitor(std::vector<DependencyCheck> checks, std::function<void(bool)> on_change,
                absl::Duration interval = absl::Seconds(2));
  ~HealthMonitor();  // stops the thread

  // Runs all checks now on the calling thread; returns whether all passed.
  bool CheckNow();

 private:
  std::vector<DependencyCheck> checks_;
  std::function<void(bool)> on_change_;
  absl::Duration interval_;
  int last_ = -1;  // -1 unknown, 0 down, 1 up
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gridbridge::platform
