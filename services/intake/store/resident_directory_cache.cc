#include "resident_directory_cache.h"

#include <functional>

namespace gridbridge::intake {

ResidentDirectoryCache::ResidentDirectoryCache(size_t capacity)
    : capacity_per_shard_((capacity + kShards - 1) / kShards) {}

ResidentDirectoryCache::Shard& ResidentDirectoryCache::ShardOf(
    const std::string& resident_id) const {
  return shards_[std::hash<std::string>{}(resident_id) % kShards];
}

std::optional<std::string> ResidentDirectoryCache::Find(const std::string& resident_id) const {
  Shard& shard = ShardOf(resident_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.owners.find(resident_id);
  if (it == shard.owners.end()) return std::nullopt;
  return it->second;
}

void ResidentDirectoryCache::Remember(const std::string& resident_id, const std::string& grid_id) {
  Shard& shard = ShardOf(resident_id);
  std::lock_guard lock(shard.mu);
  if (shard.owners.size() >= capacity_per_shard_) return;
  shard.owners.try_emplace(resident_id, grid_id);
}

size_t ResidentDirectoryCache::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.owners.size();
  }
  return n;
}

}  // namespace gridbridge::intake
