#include "stack_probe.h"

#include "redis_keys.h"

namespace gridbridge::bench {

long long SumOfCounts(platform::RedisClient& redis, std::string_view service,
                      const std::vector<std::string>& grids, std::string_view field) {
  std::vector<platform::RedisArgs> cmds;
  for (const auto& g : grids) {
    cmds.push_back({"HGET", platform::GridKeys(service, g).Key("counts"), std::string(field)});
  }
  auto replies = redis.Pipeline(cmds);
  if (!replies.ok()) return -1;
  long long n = 0;
  for (const auto& r : *replies) n += r.is_nil() ? 0 : std::stoll(r.str);
  return n;
}

std::optional<std::vector<long long>> OutboxLengths(platform::RedisClient& redis,
                                                    std::string_view service,
                                                    const std::vector<std::string>& units) {
  std::vector<platform::RedisArgs> cmds;
  for (const auto& u : units) cmds.push_back({"XLEN", platform::GridKeys(service, u).Outbox()});
  auto replies = redis.Pipeline(cmds);
  if (!replies.ok()) return std::nullopt;
  std::vector<long long> out;
  out.reserve(replies->size());
  for (const auto& r : *replies) out.push_back(r.integer);
  return out;
}

}  // namespace gridbridge::bench
