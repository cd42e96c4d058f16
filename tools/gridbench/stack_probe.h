#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis_client.h"

namespace gridbridge::bench {

// How the benchmarks read what the services keep in Redis, each a pipeline.

// The sum of `field` of `service`'s per-grid counts hash over `grids` (-1 if
// Redis did not answer).
long long SumOfCounts(platform::RedisClient& redis, std::string_view service,
                      const std::vector<std::string>& grids, std::string_view field);

// The number of entries in each of `units`' outboxes of `service`, in order
// (nothing if Redis did not answer).
std::optional<std::vector<long long>> OutboxLengths(platform::RedisClient& redis,
                                                    std::string_view service,
                                                    const std::vector<std::string>& units);

// The value of `field` in an INFO reply ("field:value" lines), if there.
std::optional<std::string_view> InfoField(std::string_view info, std::string_view field);

// Redis's used_memory (INFO memory) in MiB: what the stack's state costs in
// Redis after a run (-1 if Redis did not answer).
double RedisUsedMemoryMib(const std::string& redis_addr);

}  // namespace gridbridge::bench
