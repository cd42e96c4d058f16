#include "stack_probe.h"

#include <algorithm>
#include <charconv>

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

std::optional<std::string_view> InfoField(std::string_view info, std::string_view field) {
  while (!info.empty()) {
    const size_t end = std::min(info.find('\n'), info.size());
    std::string_view line = info.substr(0, end);
    info.remove_prefix(std::min(end + 1, info.size()));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > field.size() && line.substr(0, field.size()) == field &&
        line[field.size()] == ':') {
      return line.substr(field.size() + 1);
    }
  }
  return std::nullopt;
}

double RedisUsedMemoryMib(const std::string& redis_addr) {
  auto options = platform::RedisOptionsFromAddr(redis_addr);
  if (!options.ok()) return -1;
  platform::RedisClient redis(*options);
  auto info = redis.Command({"INFO", "memory"});
  if (!info.ok()) return -1;
  auto used = InfoField(info->str, "used_memory");
  long long bytes = 0;
  if (!used ||
      std::from_chars(used->data(), used->data() + used->size(), bytes).ec != std::errc()) {
    return -1;
  }
  return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

}  // namespace gridbridge::bench
