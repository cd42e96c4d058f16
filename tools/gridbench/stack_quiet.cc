#include "stack_quiet.h"

#include <string>
#include <thread>
#include <vector>

#include "redis_client.h"
#include "redis_keys.h"

namespace gridbridge::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Backlog {
  long long outbox_entries = 0;
  long long decisions = 0;
  bool ok = false;
};

Backlog ReadBacklog(platform::RedisClient& redis, const std::vector<std::string>& units) {
  std::vector<platform::RedisArgs> cmds;
  for (const auto& unit : units) {
    cmds.push_back({"XLEN", platform::GridKeys("intake", unit).Outbox()});
    platform::GridKeys screening("screening", unit);
    cmds.push_back({"XLEN", screening.Outbox()});
    cmds.push_back({"HGET", screening.Key("counts"), "decisions"});
  }
  Backlog b;
  auto replies = redis.Pipeline(cmds);
  if (!replies.ok()) return b;
  for (size_t i = 0; i + 2 < replies->size(); i += 3) {
    b.outbox_entries += (*replies)[i].integer + (*replies)[i + 1].integer;
    if (!(*replies)[i + 2].is_nil()) b.decisions += std::stoll((*replies)[i + 2].str);
  }
  b.ok = true;
  return b;
}

}  // namespace

double WaitUntilQuiet(const BenchEnv& env, std::chrono::milliseconds still,
                      std::chrono::milliseconds limit) {
  platform::RedisClient redis(*platform::RedisOptionsFromAddr(env.redis_addr));
  const auto start = Clock::now();
  Backlog last;
  auto unchanged_since = start;
  while (Clock::now() - start < limit) {
    Backlog now = ReadBacklog(redis, env.units);
    if (!now.ok || now.outbox_entries > 0 || now.decisions != last.decisions) {
      unchanged_since = Clock::now();
    } else if (Clock::now() - unchanged_since >= still) {
      break;
    }
    last = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace gridbridge::bench
