#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace gridbridge::intake {

// Which grid a resident belongs to, as this process has read it from the
// Redis directory. An entry never goes stale: a claim is made once and is
// never changed or removed (moving people between grids is not supported),
// so a hit saves the directory round trip of every later call about that
// person. Only a lost Redis dataset could contradict it; restart intake
// after restoring Redis from a backup.
//
// Bounded: once `capacity` entries are held, new ones are not remembered
// (calls about them just keep asking Redis). Thread-safe (16 shards).
class ResidentDirectoryCache {
 public:
  explicit ResidentDirectoryCache(size_t capacity);

  std::optional<std::string> Find(const std::string& resident_id) const;
  void Remember(const std::string& resident_id, const std::string& grid_id);
  size_t size() const;

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<std::string, std::string> owners;
  };
  Shard& ShardOf(const std::string& resident_id) const;

  size_t capacity_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace gridbridge::intake
