#include "stack_quiet.h"

#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics_scrape.h"
#include "redis_client.h"
#include "stack_probe.h"

namespace gridbridge::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Backlog {
  long long outbox_entries = 0;
  long long decisions = 0;
  double screening_lag = 0;  // records screening's consumers have not taken
  bool ok = false;
};

// Outbox entries of intake and screening over `env.units`, and screening's
// decisions over `env.grids`.
Backlog ReadBacklog(platform::RedisClient& redis, const BenchEnv& env) {
  Backlog b;
  for (const char* service : {"intake", "screening"}) {
    auto lengths = OutboxLengths(redis, service, env.units);
    if (!lengths.has_value()) return b;
    for (long long n : *lengths) b.outbox_entries += n;
  }
  b.decisions = SumOfCounts(redis, "screening", env.grids, "decisions");
  b.ok = b.decisions >= 0;
  if (!env.screening_admin.empty()) {
    auto lag = ScrapeSum(env.screening_admin, "gridbridge_kafka_consumer_lag_records",
                         "group=\"screening\"");
    static std::once_flag warned;
    if (!lag.has_value()) {
      std::call_once(warned, [&] {
        std::fprintf(stderr, "warning: no metrics from screening at %s: not waiting for its lag\n",
                     env.screening_admin.c_str());
      });
    }
    b.screening_lag = lag.value_or(0);
  }
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
    Backlog now = ReadBacklog(redis, env);
    if (!now.ok || now.outbox_entries > 0 || now.screening_lag > 0 ||
        now.decisions != last.decisions) {
      unchanged_since = Clock::now();
    } else if (Clock::now() - unchanged_since >= still) {
      break;
    }
    last = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double WaitUntilQuietThenStop(const BenchEnv& env, MachinePhase& phase) {
  const double waited = WaitUntilQuiet(env);
  phase.Stop();
  return waited;
}

}  // namespace gridbridge::bench
