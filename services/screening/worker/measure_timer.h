#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock.h"
#include "screening_store.h"

namespace gridbridge::screening {

struct MeasureTimerOptions {
  absl::Duration interval = absl::Seconds(1);  // how often to look for due stage ends
  int batch_per_grid = 200;                    // due measures handled per grid and pass
};

// Fires the stage ends and releases of measures on time: every interval it
// reads the grids' `due` timers (in Redis, so nothing is lost when a
// process restarts) and applies what is due (AdvanceDue), each measure in a
// transaction guarded by the version it read. Any number of replicas may
// run timers on the same grids: for each due change exactly one of them
// commits (the others' guards fail and they skip it), so each stage change
// and release happens, with its events, exactly once.
//
// For the dashboards and alerts: how late the longest-waiting due measure
// was at the last pass (`gridbridge_screening_timer_lateness_seconds`:
// about the interval when all is well; growing when changes fail), when a
// pass last completed (`..._timer_last_pass_timestamp_seconds`, wall time)
// and the passes that failed (`..._timer_failed_passes_total`).
//
// Thread-safe: RunOnce from any thread; Start/Stop from the owner.
class MeasureTimer {
 public:
  MeasureTimer(ScreeningStore& store, const platform::Clock& clock,
               std::function<std::vector<std::string>()> grids,
               std::function<void(const std::string&)> notify_outbox,
               MeasureTimerOptions options = {});
  ~MeasureTimer();

  // One pass over every grid: returns how many measures this call changed.
  absl::StatusOr<int> RunOnce();
  // How long past its time the longest-waiting due measure was when the
  // last pass read the timers (zero when none was due).
  absl::Duration lateness() const;

  void Start();
  void Stop();

 private:
  void Loop();

  ScreeningStore& store_;
  const platform::Clock& clock_;
  std::function<std::vector<std::string>()> grids_;
  std::function<void(const std::string&)> notify_outbox_;
  MeasureTimerOptions options_;

  std::atomic<int64_t> lateness_ns_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gridbridge::screening
