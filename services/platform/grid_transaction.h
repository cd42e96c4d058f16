#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kafka_publisher.h"
#include "redis_client.h"

namespace gridbridge::platform {

// One atomic change to one grid's keys, with its events, as a single Lua
// script run: the way every service commits under the durability rule.
//
// In order, the script:
//  1. returns the remembered response if the idempotency key exists (a
//     retry: nothing else happens);
//  2. checks every ExpectVersion guard (a record's version field "v"), and
//     returns CONFLICT naming the first that fails (nothing happens);
//  3. applies the writes in the order they were added, appends the events to
//     the grid's outbox, and remembers the response under the idempotency key.
//
// Every key must carry the same hash tag (one Redis Cluster slot); the
// builder enforces it. Records are hashes {v: version, p: payload bytes}.
class GridTransaction {
 public:
  // `idempotency_key` and `response` may be empty for changes without a
  // client request id.
  GridTransaction(std::string outbox_key, std::string idempotency_key, std::string response,
                  int idempotency_ttl_seconds = 86400);

  // Guard: the record at `key` has version `version` (0 = absent).
  GridTransaction& ExpectVersion(const std::string& key, long long version);
  GridTransaction& PutRecord(const std::string& key, long long version, const std::string& payload);
  GridTransaction& ZAdd(const std::string& key, long long score, const std::string& member);
  GridTransaction& ZRemoveBelow(const std::string& key, long long max_score);
  GridTransaction& HashIncrement(const std::string& key, const std::string& field, long long delta);
  GridTransaction& Publish(const KafkaRecord& record);

  // The keys and ARGV for one run of Script(), or INVALID_ARGUMENT if the
  // keys span more than one hash tag.
  absl::StatusOr<std::pair<RedisArgs, RedisArgs>> Build() const;
  static const RedisScript& Script();

  // What a run answered.
  struct Outcome {
    enum class Kind { kCommitted, kDuplicate, kConflict };
    Kind kind = Kind::kCommitted;
    std::string prior_response;  // kDuplicate
    std::string conflict_key;    // kConflict
  };
  // Interprets one reply of Script(); INTERNAL for an error reply.
  static absl::StatusOr<Outcome> ParseReply(const RedisReply& reply);

 private:
  int KeyIndex(const std::string& key);

  std::vector<std::string> keys_;  // 1: outbox, 2: idempotency key
  std::string response_;
  int ttl_;
  std::vector<std::string> guards_;
  std::vector<std::string> ops_;
  std::vector<std::string> publish_args_;  // appended after ops
};

}  // namespace gridbridge::platform
