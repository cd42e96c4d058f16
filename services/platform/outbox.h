#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"
#include "kafka_publisher.h"
#include "redis_client.h"

namespace gridbridge::platform {

// The transactional outbox. The durability rule (docs/architecture.md):
// a service commits its state change and the event that announces it in ONE
// Redis script, into the grid's outbox stream ({grid:<id>}:<service>:outbox,
// same hash slot as the state). Only then does the RPC return OK. A relay
// publishes outbox entries to Kafka and deletes them only after the broker
// acknowledged them, so a change that was acknowledged is never lost: at
// worst it is published twice (crash between ack and delete), and
// consumers dedupe on ce_id.
//
// How a service's Lua script appends: prepend kOutboxLua to the script,
// pass OutboxFrame(record) for each record in ARGV, collect the frames of
// what the script commits in a Lua table, and call
//   gb_outbox_append(KEYS[i], frames)
// which XADDs them as ONE entry (field "b": an encoded
// gridbridge.common.v1.OutboxBatch). One entry per commit, however many
// records: Redis spends per entry, not per record, on the XADD, the relay's
// XRANGE and its XDEL. Commits that build the entry themselves (columnar
// and watched runs) store it packed when it is large (outbox_pack.h).
extern const char kOutboxLua[];
// Writers split larger commits into several entries (see above).
inline constexpr int kMaxRecordsPerOutboxEntry = 64;

// One record encoded as an element of OutboxBatch.records (field tag,
// length, OutboxRecord bytes): frames concatenate into an OutboxBatch.
std::string OutboxFrame(const KafkaRecord& record);
// The frame of a record whose value is `value`, serialized straight into
// the frame (no string of its own), with `headers`.
std::string OutboxFrame(std::string_view topic, std::string_view key,
                        const google::protobuf::MessageLite& value,
                        std::span<const HeaderView> headers);
// The frame of a record whose value is already serialized (`value`).
std::string OutboxFrame(std::string_view topic, std::string_view key, std::string_view value,
                        std::span<const HeaderView> headers);
// The records of concatenated frames (an encoded OutboxBatch), in order.
// DATA_LOSS if they do not parse or a record has no topic.
absl::StatusOr<std::vector<KafkaRecord>> DecodeOutboxFrames(const std::string& bytes);
// The same as views of `bytes` (valid while they are).
absl::StatusOr<std::vector<KafkaRecordView>> DecodeOutboxFrameViews(std::string_view bytes);

// Decodes one XRANGE entry's field list: the records of a batch entry
// (field "b": an OutboxBatch, or one packed by PackOutboxEntry), or the
// single record of an entry in the first format (fields t, k, v,
// h:<name>), which entries written before the batch format still carry.
// DATA_LOSS if the entry is none of these.
absl::StatusOr<std::vector<KafkaRecord>> DecodeOutboxEntry(const RedisReply& fields);
// The same as views of `fields` (valid while it is): what the relay
// publishes. A packed entry's bytes in `fields` are replaced by the
// OutboxBatch they hold first.
absl::StatusOr<std::vector<KafkaRecordView>> DecodeOutboxEntryViews(RedisReply& fields);

struct OutboxRelayOptions {
  std::string service;  // the middle part of the outbox key
  // Entries read per unit and round, and per round in all. Commit scripts
  // put at most kMaxRecordsPerOutboxEntry records in an entry, which bounds
  // a round at max_entries_per_round * kMaxRecordsPerOutboxEntry records.
  int entries_per_unit = 32;
  int max_entries_per_round = 2000;
  absl::Duration lease = absl::Seconds(10);
  absl::Duration scan_interval = absl::Milliseconds(500);
  absl::Duration publish_timeout = absl::Seconds(5);  // bounds a round, and Stop()
  absl::Duration error_backoff = absl::Milliseconds(500);
};

// Publishes outbox entries of the given units (grids, villages) to Kafka.
//
// Several relays (one per replica) may run against one Redis: a relay
// drains a unit only while it holds the unit's lease (SET NX PX, renewed at
// the start of a round once half of it has passed, so a busy unit costs no
// lease script per round), so one replica publishes a unit at a time, in
// stream order. Entries of a unit are deleted only as an acknowledged
// prefix, so a failed record and everything after it are published again
// in the next round; a relay that lost its lease during a round still
// deletes what Kafka acknowledged to it (the new holder publishes it again
// at worst, and consumers dedupe on ce_id).
//
// Thread-safe: Notify from any thread; Start/Stop from the owner.
class OutboxRelay {
 public:
  OutboxRelay(RedisClient& redis, KafkaPublisher& publisher,
              std::function<std::vector<std::string>()> units, OutboxRelayOptions options);
  ~OutboxRelay();

  void Start();
  // Finishes the current round, releases this relay's leases and stops.
  // Does not wait for the outbox to be empty: what is left is published by
  // another relay.
  void Stop();
  // A hint that `unit` has new entries: drained in the next round rather
  // than at the next scan.
  void Notify(const std::string& unit);

  // One round over `units` (or all units when empty): returns how many
  // records were published and deleted. Exposed for tests and tools.
  absl::StatusOr<int> RunRound(std::vector<std::string> units);
  // Total entries waiting in all units' outboxes.
  absl::StatusOr<long long> Pending();

 private:
  void Loop();
  std::string StreamKey(const std::string& unit) const;
  std::string LeaseKey(const std::string& unit) const;

  RedisClient& redis_;
  KafkaPublisher& publisher_;
  std::function<std::vector<std::string>()> units_;
  OutboxRelayOptions options_;
  std::string token_;  // this relay's lease identity

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> notified_;
  // Units whose lease this relay holds, and until when at least; loop
  // thread only.
  std::map<std::string, absl::Time> leased_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gridbridge::platform
