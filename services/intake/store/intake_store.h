#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grid_transaction.h"
#include "gridbridge/intake/v1/intake_service.pb.h"
#include "redis_client.h"
#include "redis_keys.h"
#include "resident_directory_cache.h"

namespace gridbridge::intake {

// Intake's Redis keyspace. Per grid (hash tag {grid:<id>}, service "intake"):
//   res:<resident_id>    hash {v, p}: the Resident (with personal data)
//   residents            zset (score 0) of resident ids, for paging by id
//   arrival:<id>, visit:<id>, help:<id>, lead:<id>   hash {v, p}
//   arrivals, visits     zsets id -> unix seconds (time windows, trimmed)
//   tested               zset resident id -> latest sample unix seconds
//   counts               hash: residents, vaccinated, key_population,
//                        open_help_requests, open_dispute_leads
//   requests:<day>       hash <subject>:<request_id> -> remembered response
//                        (BulkImport rows: bulk:<subject>:<request_id>),
//                        see platform/grid_transaction.h
//   outbox, outbox-lease          see platform/outbox.h
// Outside the grids, one directory: {intake:dir:<c>}:resident-grid, a hash
// resident id -> grid, sharded by the id's last character, claimed with
// HSETNX before the resident's first commit (so a person can be in one grid
// only, even under concurrent registrations in two grids).
//
// Thread-safe (RedisClient is). Errors: UNAVAILABLE when Redis is down.
class IntakeStore {
 public:
  static constexpr char kService[] = "intake";

  // Remembers up to `directory_cache_capacity` residents' grids in memory
  // (~100 bytes each) to save a directory round trip per call.
  explicit IntakeStore(platform::RedisClient& redis, size_t directory_cache_capacity = 300000)
      : redis_(redis), directory_cache_(directory_cache_capacity) {}

  static platform::GridKeys Keys(const std::string& grid_id) {
    return platform::GridKeys(kService, grid_id);
  }
  static std::string ResidentKey(const std::string& grid_id, const std::string& resident_id) {
    return Keys(grid_id).Key("res", resident_id);
  }

  // The grid a resident belongs to, if any.
  absl::StatusOr<std::optional<std::string>> FindResidentGrid(const std::string& resident_id);
  struct Claim {
    std::string owner;  // the grid the person belongs to
    // This call made the claim. Claims precede records and are never
    // removed, so a fresh claim means no record exists yet: the caller may
    // skip reading it (its version guard still catches a concurrent writer).
    bool fresh = false;
  };
  // Claims `grid_id` for the resident unless another grid has it.
  absl::StatusOr<Claim> ClaimResidentGrid(const std::string& resident_id,
                                          const std::string& grid_id);

  // The same for many (resident_id, grid_id) claims, in one round trip.
  absl::StatusOr<std::vector<Claim>> ClaimResidentGrids(
      const std::vector<std::pair<std::string, std::string>>& claims);

  absl::StatusOr<std::optional<v1::Resident>> GetResident(const std::string& grid_id,
                                                          const std::string& resident_id);
  // Many (grid_id, resident_id) lookups in one round trip.
  absl::StatusOr<std::vector<std::optional<v1::Resident>>> GetResidents(
      const std::vector<std::pair<std::string, std::string>>& keys);
  // Up to `limit` residents with id > `after` (empty: from the start), in id order.
  absl::StatusOr<std::vector<v1::Resident>> ListResidents(const std::string& grid_id,
                                                          const std::string& after, int limit);
  absl::StatusOr<v1::GridLedger> GetLedger(const std::string& grid_id, absl::Time now);

  // Runs one transaction (see platform/grid_transaction.h).
  absl::StatusOr<platform::GridTransaction::Outcome> Commit(const platform::GridTransaction& txn);
  // Runs many transactions prepared before (GridTransaction::Prepare) in one
  // round trip, one script run per grid.
  absl::StatusOr<platform::GridTransaction::Outcomes> CommitPrepared(
      platform::GridTransaction::PreparedCommit& prepared);

 private:
  static std::string DirectoryKey(const std::string& resident_id);
  platform::RedisClient& redis_;
  ResidentDirectoryCache directory_cache_;
};

}  // namespace gridbridge::intake
