#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "divisions.h"
#include "gridbridge/screening/v1/policy.pb.h"
#include "risk_areas.h"
#include "screening_store.h"

namespace gridbridge::screening {

// The policy in force. Reload replaces it only with a policy that loads;
// otherwise the old one stays and the error (line and reason) is returned.
// Thread-safe; readers keep the snapshot they got.
class PolicyHolder {
 public:
  explicit PolicyHolder(v1::Policy initial)
      : current_(std::make_shared<const v1::Policy>(std::move(initial))) {}

  std::shared_ptr<const v1::Policy> Current() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  absl::Status Reload(std::string_view text);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const v1::Policy> current_;
};

// The risk-area list in force, as an index, shared by all replicas through
// Redis: each Current() reads only the list's version (one small round
// trip) and rebuilds the index when another replica changed the list.
// Thread-safe.
class RiskAreaCache {
 public:
  RiskAreaCache(ScreeningStore& store, platform::RedisClient& redis,
                const platform::Divisions& divisions)
      : store_(store), redis_(redis), divisions_(divisions) {}

  // The list in force: its version read from Redis on every call (a round
  // trip), the list itself only when that changed.
  absl::StatusOr<std::shared_ptr<const RiskAreaIndex>> Current();
  // The list last confirmed in force, without a round trip, if that was at
  // most `max_age` ago (else Current()). For a caller that reads the version
  // again after its commit, handles a change there (a check: its fence and
  // Rescreener::RescreenIfListChanged) and reports what it read (Observe):
  // a replica then learns of another's change within max_age, or at the
  // first fence after it, and what was decided against the old list in
  // between is re-screened by its maker. A check saves a round trip (~1.2
  // thread hand-offs of ~7; docs/performance.md, session 22).
  absl::StatusOr<std::shared_ptr<const RiskAreaIndex>> Recent(absl::Duration max_age);
  // The list's version as a caller read it just now: a newer one than the
  // cached list's makes the next Recent() read the list, the same one
  // confirms the cached list in force.
  void Observe(long long version);

  // The read of the list's version Current() makes, for a caller that
  // pipelines it with other commands, and what its reply says.
  static platform::RedisArgs VersionRead();
  static absl::StatusOr<long long> VersionOf(const platform::RedisReply& reply);

 private:
  ScreeningStore& store_;
  platform::RedisClient& redis_;
  const platform::Divisions& divisions_;
  std::mutex mu_;
  long long version_ = -1;
  std::shared_ptr<const RiskAreaIndex> index_;
  // When version_ was last seen in force (elapsed time, not the service's
  // clock, which rehearsals freeze); the epoch: not since a newer one was.
  std::chrono::steady_clock::time_point confirmed_{};
};

}  // namespace gridbridge::screening
