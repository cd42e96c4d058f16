#pragma once
// Internal to GridTransaction (grid_transaction.cc): the columnar form of a
// script run.

#include <optional>
#include <vector>

#include "grid_transaction.h"

namespace gridbridge::platform {

// A script run whose transactions can only all commit, or else all be
// sent again the general way, laid out per command instead of per
// transaction: the record writes, one ZADD per sorted set, the counters
// summed, the events as one outbox entry, the request log read with one
// HMGET per bucket and written with one HSET. Redis then runs a few
// commands over ranges of the arguments instead of interpreting every
// transaction's ops (in a replay of 21-row import runs, ~40 -> ~25 µs of
// Redis CPU per row; docs/performance.md).
//
// Fits runs (a lone transaction too) of one grid that cannot see each
// other (no record, guarded key or request field in two of them, one
// request bucket) and only write records, add to sorted sets, count,
// publish and trim sorted sets, where every trim of a key has the same
// bound and every transaction adding to a trimmed key trims it after its
// adds (a window kept, as screening's arrivals): their writes then leave,
// grouped (adds, then trims), what applying them one transaction after
// the other would. A lone transaction saves the interpretation of its ops:
// RecordArrival's commit took ~18 % less Redis CPU (docs/performance.md).
class ColumnarRun {
 public:
  // The EVALSHA command of `script` committing `txns` (copied, not moved:
  // the general form may still be needed), or nothing if they do not fit.
  // `txns` must hold no more events than one outbox entry takes.
  static std::optional<RedisArgs> Command(const RedisScript& script,
                                          const std::vector<const GridTransaction*>& txns);

  // What the script answers when it found a retry or a failed guard and
  // wrote nothing.
  static constexpr char kSlow[] = "SLOW";

 private:
  // Whether `txns` fit the columnar form (see above).
  static bool Fits(const std::vector<const GridTransaction*>& txns);
};

}  // namespace gridbridge::platform
