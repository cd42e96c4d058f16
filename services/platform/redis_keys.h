#pragma once

#include <string>
#include <string_view>

namespace gridbridge::platform {

// Builders for Redis keys. Every key that belongs to a grid (or village)
// starts with the hash tag "{grid:<id>}", so all of one grid's keys live in
// one Redis Cluster slot and a Lua script or MULTI may touch them together.
// The keyspace therefore moves to Redis Cluster unchanged.
//
// Layout: {grid:<grid_id>}:<service>:<kind>[:<id>]
//   e.g. {grid:431102001001g07}:intake:resident:r-5f1c...
class GridKeys {
 public:
  GridKeys(std::string_view service, std::string_view grid_id);

  // The hash tag alone, e.g. "{grid:431102001001g07}".
  const std::string& tag() const { return tag_; }
  // {grid:<id>}:<service>:<kind>
  std::string Key(std::string_view kind) const;
  // {grid:<id>}:<service>:<kind>:<id>
  std::string Key(std::string_view kind, std::string_view id) const;
  // The grid's transactional outbox stream and its relay lease.
  std::string Outbox() const { return Key("outbox"); }
  std::string OutboxLease() const { return Key("outbox-lease"); }

 private:
  std::string prefix_;  // "{grid:<id>}:<service>:"
  std::string tag_;
};

// The hash tag inside a key, as Redis Cluster computes it: the text between
// the first '{' and the next '}' if non-empty, else the whole key.
std::string_view HashTagOf(std::string_view key);

// Redis Cluster slot (CRC16/XMODEM of the hash tag, mod 16384). Tests use it
// to prove that all of a grid's keys share one slot.
int ClusterSlot(std::string_view key);

}  // namespace gridbridge::platform
