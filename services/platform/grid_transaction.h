#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "kafka_publisher.h"
#include "redis_client.h"
#include "redis_keys.h"

namespace gridbridge::platform {

// One atomic change to one grid's keys, with its events: the way every
// service commits under the durability rule (docs/architecture.md).
//
// A transaction runs inside a Lua script that, in order:
//  1. returns the remembered response if the request was seen before (a
//     retry: nothing else happens);
//  2. checks every ExpectVersion guard (a record's version field "v"), and
//     answers CONFLICT naming the first that fails (nothing happens);
//  3. applies the writes in the order they were added, queues the events
//     for the grid's outbox, and remembers the response for the request.
//
// Several transactions of one grid commit in ONE script run (Commit/
// CommitAll group them), each still all-or-nothing on its own and applied
// in the order given, so a later one sees an earlier one's writes. What a
// script run costs Redis is paid once per run, not per transaction: the
// counters of all committed transactions are summed into one HINCRBY per
// field, and their events go to the outbox as one entry (see outbox.h).
//
// Requests are remembered per grid in day buckets (hash
// <grid keys>:requests:<UTC day>, field = request field), checked in the
// current and the previous bucket and kept to the end of the next day: a
// retry within at least 24 hours gets the first answer.
//
// Every key must carry the grid's hash tag (one Redis Cluster slot); Commit
// enforces it. Records are hashes {v: version, p: payload bytes}.
class GridTransaction {
 public:
  // `request_field` names the client request (e.g. "<subject>:<request
  // id>"); empty for a change without one. `response` is what a retry of it
  // gets back; `now` picks the day bucket.
  GridTransaction(const GridKeys& keys, std::string request_field, std::string response,
                  absl::Time now);

  // Guard: the record at `key` has version `version` (0 = absent).
  GridTransaction& ExpectVersion(const std::string& key, long long version);
  GridTransaction& PutRecord(const std::string& key, long long version, std::string payload);
  GridTransaction& ZAdd(const std::string& key, long long score, std::string member);
  // Removes members scored below `max_score`. A script run trims each
  // (key, bound) once, so round bounds (to the minute, the hour) for the
  // transactions of a batch to share them.
  GridTransaction& ZRemoveBelow(const std::string& key, long long max_score);
  GridTransaction& ZRemove(const std::string& key, const std::string& member);
  // The key is deleted `ttl` from now (at least a second; relative, so the
  // service's clock decides when).
  GridTransaction& Expire(const std::string& key, absl::Duration ttl);
  GridTransaction& HashIncrement(const std::string& key, const std::string& field, long long delta);
  GridTransaction& Publish(const KafkaRecord& record);
  // The same for a record already encoded as an outbox frame (EventFrame).
  GridTransaction& PublishFrame(std::string frame);

  // What a transaction's run answered.
  struct Outcome {
    enum class Kind { kCommitted, kDuplicate, kConflict };
    Kind kind = Kind::kCommitted;
    std::string prior_response;  // kDuplicate
    std::string conflict_key;    // kConflict
  };
  using Outcomes = std::vector<absl::StatusOr<Outcome>>;

  // Commits `txns` (of any grids) in one round trip: one script run per grid
  // and chunk of transactions, in the given order within a grid. One outcome
  // per transaction, in order: a transaction's own failure (keys of two
  // grids, a script error) is its outcome; a transport failure fails the
  // call, and then any of them may or may not have run.
  static absl::StatusOr<Outcomes> CommitAll(RedisClient& redis,
                                            const std::vector<GridTransaction>& txns);
  // The same, moving the transactions' bytes (records, events) into the
  // command instead of copying them; `txns` are left without them.
  static absl::StatusOr<Outcomes> CommitAll(RedisClient& redis,
                                            std::vector<GridTransaction>&& txns);
  static absl::StatusOr<Outcome> Commit(RedisClient& redis, const GridTransaction& txn);

 private:
  template <typename Txn>
  class ScriptRuns;  // the script runs of a commit (grid_transaction.cc)

 public:
  // The moving CommitAll in two steps, for a caller that pipelines (builds
  // one batch's commands while another's are at Redis): Prepare groups the
  // transactions into script runs and builds their commands, moving the
  // transactions' bytes; Send runs them in one round trip, with the same
  // outcomes as CommitAll. The transactions must stay where they are (not
  // destroyed, not moved: a vector may be moved) until Send returns, which
  // builds a columnar run answered SLOW again from them.
  class PreparedCommit {
   public:
    PreparedCommit(PreparedCommit&&) noexcept;
    PreparedCommit& operator=(PreparedCommit&&) noexcept;
    ~PreparedCommit();
    // At most once. `leading` (plain commands, e.g. writes to keys outside
    // the grids that must be in place before anything the commit makes
    // visible) go first in the same round trip: Redis runs a connection's
    // commands in order. An error reply to one of them fails the call after
    // the runs have run, as a transport failure would (a retry repeats both).
    // `trailing` (a read that must follow the commit) go last, after every
    // run: when runs are sent a second time the general way, they are sent
    // again after those (so reads, not writes); their last replies, errors
    // included, go to `trailing_replies`.
    absl::StatusOr<Outcomes> Send(RedisClient& redis, std::vector<RedisArgs> leading = {},
                                  const std::vector<RedisArgs>& trailing = {},
                                  std::vector<RedisReply>* trailing_replies = nullptr);

   private:
    friend class GridTransaction;
    explicit PreparedCommit(std::unique_ptr<ScriptRuns<GridTransaction>> runs);
    std::unique_ptr<ScriptRuns<GridTransaction>> runs_;
  };
  static PreparedCommit Prepare(std::vector<GridTransaction>& txns);

  // CommitAll with plain commands instead of the script: per grid and
  // round of up to 32 transactions (on one connection held for it), the
  // guarded keys and the request log buckets are WATCHed and read (versions;
  // responses remembered for the requests), then the writes of the
  // transactions that are neither retries nor stale (in order, each seeing
  // the ones before, as in the script) go in one MULTI/EXEC with the
  // grid's outbox entries, summed counters and remembered responses. Same
  // outcomes and end state as CommitAll, for about half the Redis time per
  // transaction (docs/performance.md). A change to a watched key before
  // EXEC (another writer of the grid) aborts the round, which runs again up
  // to 3 times; its transactions then answer CONFLICT (the caller builds
  // them again on fresh reads). So it suits batches (a consumer's, a
  // re-screen's), not many concurrent writers of one grid. Keys of two
  // grids: INVALID_ARGUMENT outcome. `between` (tests) runs after each
  // read.
  static absl::StatusOr<Outcomes> CommitWatched(RedisClient& redis,
                                                const std::vector<GridTransaction>& txns,
                                                const std::function<void()>& between = {});

  const std::string& outbox_key() const { return keys_.front(); }

  // The request log buckets a transaction of `keys`' grid made at `now`
  // checks: {current, previous}. Readers that look for a remembered
  // response ahead of a commit (to skip building one) read these.
  static std::pair<std::string, std::string> RequestBuckets(const GridKeys& keys, absl::Time now);

 private:
  struct Op {
    char code;  // R record, Z zadd, T trim, D zrem, X expire, C counter, P publish
    int key;    // index into keys_
    std::string a, b;
  };
  friend class GridBatchBuilder;
  friend class ColumnarRun;
  friend class WatchedGridCommit;

  // INVALID_ARGUMENT unless all of `txn`'s keys are its grid's (one hash tag).
  static absl::Status CheckOneGrid(const GridTransaction& txn);

  int KeyIndex(const std::string& key);
  static const RedisScript& Script();
  // Txn: GridTransaction (moved from) or const GridTransaction (copied).
  template <typename Txn>
  static absl::StatusOr<Outcomes> CommitRuns(RedisClient& redis, const std::vector<Txn*>& txns);

  std::vector<std::string> keys_;  // [0] outbox, [1] current, [2] previous request bucket
  std::string request_field_;
  std::string response_;
  long long bucket_ttl_seconds_;
  int publishes_ = 0;
  std::vector<std::pair<int, long long>> guards_;
  std::vector<Op> ops_;
};

// Builds and commits a transaction, building it again from fresh reads
// when a version guard failed (another writer got there first), up to
// `attempts` times, then ABORTED. `build` fills `response` and returns the
// transaction that remembers it; `commit` runs one transaction (a store's
// Commit); `committed` runs after a commit (e.g. to wake the outbox relay).
// A retried request gets its first response, parsed into `response`.
// Response is a protobuf message.
template <typename Response, typename Commit>
absl::Status CommitWithRetry(Commit&& commit,
                             const std::function<absl::StatusOr<GridTransaction>(Response*)>& build,
                             Response* response, const std::function<void()>& committed = {},
                             int attempts = 5) {
  using Kind = GridTransaction::Outcome::Kind;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    response->Clear();
    absl::StatusOr<GridTransaction> txn = build(response);
    if (!txn.ok()) return txn.status();
    absl::StatusOr<GridTransaction::Outcome> outcome = commit(*txn);
    if (!outcome.ok()) return outcome.status();
    switch (outcome->kind) {
      case Kind::kCommitted:
        if (committed) committed();
        return absl::OkStatus();
      case Kind::kDuplicate:
        response->Clear();
        if (!response->ParseFromString(outcome->prior_response)) {
          return absl::DataLossError("remembered response does not parse");
        }
        return absl::OkStatus();
      case Kind::kConflict:
        continue;
    }
  }
  return absl::AbortedError("too many concurrent changes to the same record; retry");
}

}  // namespace gridbridge::platform
