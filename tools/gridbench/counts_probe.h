#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "redis_client.h"

namespace gridbridge::bench {

// The sum of `field` of `service`'s per-grid counts hash over `grids` (-1 if
// Redis did not answer): how the benchmarks see what the services counted.
long long SumOfCounts(platform::RedisClient& redis, std::string_view service,
                      const std::vector<std::string>& grids, std::string_view field);

}  // namespace gridbridge::bench
