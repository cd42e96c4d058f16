#pragma once

#include <memory>
#include <mutex>
#include <string_view>

#include "absl/status/statusor.h"
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

  absl::StatusOr<std::shared_ptr<const RiskAreaIndex>> Current();

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
};

}  // namespace gridbridge::screening
