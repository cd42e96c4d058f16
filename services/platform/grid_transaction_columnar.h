#pragma once
// Internal to GridTransaction (grid_transaction.cc): the columnar form of a
// script run.

#include <optional>
#include <vector>

#include "grid_transaction.h"

namespace gridbridge::platform {

// At most this many values go into one command a script builds with
// `unpack` (Lua gives at most ~8,000); a run that would need more goes
// without grouping them.
inline constexpr size_t kMaxUnpackedValues = 6000;

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
  // The run of `txns` in the columnar form, or nothing (and nothing taken)
  // if they do not fit. `Txn` is GridTransaction, whose records, members
  // and answers are moved into the command (GiveBack returns them),
  // or const GridTransaction (copied). `txns` must hold no more events than
  // one outbox entry takes.
  template <typename Txn>
  static std::optional<ColumnarRun> Build(const RedisScript& script, const std::vector<Txn*>& txns);

  // The EVALSHA command; the caller may move it out (and keep it as sent).
  RedisArgs& command() { return command_; }

  // After a SLOW answer: moves what Build took back into the transactions
  // from `sent` (the command as sent), so their general form can be built.
  void GiveBack(RedisArgs& sent);

  // What the script answers when it found a retry or a failed guard and
  // wrote nothing.
  static constexpr char kSlow[] = "SLOW";

 private:
  // Whether `txns` fit the columnar form (see above).
  static bool Fits(const std::vector<const GridTransaction*>& txns);

  RedisArgs command_;
  // Moved into the command: their home in a transaction, their argument.
  // (Events are copied: they concatenate into one argument.)
  std::vector<std::pair<std::string*, size_t>> taken_;
};

}  // namespace gridbridge::platform
