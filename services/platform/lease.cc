#include "lease.h"

namespace gridbridge::platform {

const RedisScript& AcquireLeaseScript() {
  static const RedisScript script(R"lua(
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
)lua");
  return script;
}

absl::StatusOr<bool> AcquireLease(RedisClient& redis, const std::string& key,
                                  const std::string& token, absl::Duration ttl) {
  auto replies = redis.EvalBatch(
      AcquireLeaseScript(), {{{key}, {token, std::to_string(absl::ToInt64Milliseconds(ttl))}}});
  if (!replies.ok()) return replies.status();
  const RedisReply& r = replies->front();
  if (r.is_error()) return absl::InternalError("lease " + key + ": " + r.str);
  return r.integer == 1;
}

}  // namespace gridbridge::platform
