#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "clock.h"
#include "decision_recorder.h"
#include "divisions.h"
#include "redis_client.h"
#include "screening_state.h"
#include "screening_store.h"

namespace gridbridge::screening {

struct RescreenerOptions {
  absl::Duration interval = absl::Seconds(1);  // how often to look for a new list
  absl::Duration lease = absl::Seconds(60);    // one replica re-screens at a time
  int grids_per_round_trip = 10;
  int workers = 3;  // chunks of grids re-screened at once
};

// What one pass did.
struct RescreenResult {
  long long list_version = 0;  // 0: nothing to do (or another replica is at it)
  long long arrivals = 0;      // arrivals screened again
  long long changed = 0;       // people who got a measure or a stricter one
};

// Re-screens past arrivals when the risk-area list changes: every arrival
// of the policy's lookback window (plus a day) is decided again against the
// new list; people who now match get a measure (or a stricter one), with a
// decision event marked `rescreened` that names the new list version and
// the facts. People whose decision does not change are left alone, without
// events. The job's progress is in Redis (the last re-screened version and
// a lease), so with several replicas one does it, and a replica that dies
// midway is followed by another (who finds what the first committed and
// does not do it again: a measure in force calls for nothing more). Thread-safe: RunOnce from any
// thread; Start/Stop from the owner.
class Rescreener {
 public:
  struct Deps {
    ScreeningStore& store;
    platform::RedisClient& redis;
    DecisionRecorder& decisions;
    PolicyHolder& policy;
    RiskAreaCache& risk_areas;
    const platform::Divisions& divisions;
    const platform::Clock& clock;
    std::function<std::vector<std::string>()> grids;
  };
  Rescreener(Deps deps, RescreenerOptions options = {});
  ~Rescreener();

  absl::StatusOr<RescreenResult> RunOnce();

  // For arrival decisions made against list version `decided_with` and
  // committed before this call (a checkpoint's, a consumer batch's): if
  // the list has changed since, a pass of the new list may have scanned
  // their grids before they were committed, and missed them; so `grids`
  // are re-screened now against the list in force, as a pass would
  // (idempotent: a measure already placed calls for nothing more). When
  // the version read here (one round trip, after the commits) is still
  // `decided_with`, any later change comes after the commits, and its pass
  // sees them. `version_after`: that version, read by the caller after its
  // commits (in their round trip), if it has it. Returns whether it
  // re-screened. Thread-safe.
  absl::StatusOr<bool> RescreenIfListChanged(long long decided_with,
                                             const std::vector<std::string>& grids,
                                             std::optional<long long> version_after = {});
  void Start();
  void Stop();
  // A hint that the list has changed (this replica took the change): the
  // next pass starts now rather than at the next look. Any thread.
  void Notify();

 private:
  void Loop();
  // `grids` in chunks of options_.grids_per_round_trip.
  std::vector<std::vector<std::string>> Chunks(const std::vector<std::string>& grids) const;
  // One chunk of grids: its arrivals since `since` decided again against
  // list `version`; the people who now need more get it.
  absl::StatusOr<RescreenResult> RescreenChunk(const std::vector<std::string>& chunk,
                                               absl::Time since, long long version,
                                               const v1::Policy& policy, const RiskAreaIndex& index,
                                               absl::Time now);

  Deps deps_;
  RescreenerOptions options_;
  std::string token_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool notified_ = false;
  std::thread thread_;
};

}  // namespace gridbridge::screening
