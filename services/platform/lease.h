#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "redis_client.h"

namespace gridbridge::platform {

// A lease in Redis: one holder (a token) at a time, for work that one
// replica should do (relaying a unit's outbox, re-screening). The script
// takes the lease if it is free or already the caller's, renewing it;
// KEYS[1] the lease, ARGV[1] the token, ARGV[2] its time to live in ms;
// answers 1 if the caller holds it, else 0.
const RedisScript& AcquireLeaseScript();

// Takes or renews `key` for `token` for `ttl`: true if held.
absl::StatusOr<bool> AcquireLease(RedisClient& redis, const std::string& key,
                                  const std::string& token, absl::Duration ttl);

}  // namespace gridbridge::platform
