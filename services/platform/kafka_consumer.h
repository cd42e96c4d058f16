#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cloud_events.h"
#include "kafka_publisher.h"

namespace RdKafka {
class KafkaConsumer;
class Message;
}  // namespace RdKafka

namespace gridbridge::platform {

// A fetched record. Its headers are not copied out: parsing and copying
// them for every record cost ~5 % of screening's CPU per decision from
// intake's events (docs/performance.md, screening, session 27), and no
// handler reads them; a dead letter carries them, read from the fetched
// message then.
struct ConsumedRecord {
  std::string topic;
  int partition = 0;
  long long offset = 0;
  std::string key;
  std::string value;
};

// What a handler says about a record:
//  - OK: done; the offset may be committed.
//  - UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED: a
//    dependency failed; the same record is offered again after a backoff
//    and nothing after it on that partition is processed meanwhile.
//  - anything else (INVALID_ARGUMENT for an undecodable payload, ...):
//    permanent; the record goes to the dead-letter topic with the error in
//    header "gb_dlq_error", and the consumer moves on.
using RecordHandler = std::function<absl::Status(const ConsumedRecord&)>;

// Handles records in batches (what was already fetched, up to
// ConsumerOptions::max_batch), to pay round trips once per batch: returns
// one status per record, in order, with the meanings above. The first
// retryable status of a partition is where that partition resumes: the
// records after it on the same partition are offered again whatever their
// status (so handlers stay idempotent).
using BatchHandler = std::function<std::vector<absl::Status>(const std::vector<ConsumedRecord>&)>;

struct ConsumerOptions {
  KafkaOptions kafka;
  std::string group_id;
  std::vector<std::string> topics;
  std::string dead_letter_topic;
  int session_timeout_ms = 6000;
  // fetch.wait.max.ms: see ServerConfig::kafka_fetch_wait_ms.
  int fetch_wait_ms = 500;
  int max_retry_backoff_ms = 5000;
  int max_batch = 500;  // records per BatchHandler call
  // How long Run() waits, after Stop(), to commit and leave the group
  // cleanly; past it the consumer is dropped without leaving (the group
  // notices after session_timeout_ms, and uncommitted records are offered
  // again: at least once still holds).
  int close_timeout_ms = 5000;
};

bool IsRetryable(const absl::Status& status);

// The librdkafka properties of a consumer with `options`; those of
// options.kafka.properties are applied last and win.
std::map<std::string, std::string> ConsumerProperties(const ConsumerOptions& options);

// A consumer-group member with at-least-once delivery: an offset is stored
// for commit only after its handler returned OK or the record was safely in
// the dead-letter topic. Consumers may therefore see a record twice (after a
// crash or rebalance) and handlers must be idempotent (dedupe on ce_id or
// the entity version).
//
// Not thread-safe: Run() on one thread; Stop() from any thread.
class KafkaConsumer {
 public:
  // `dlq` publishes dead letters and must outlive the consumer.
  static absl::StatusOr<std::unique_ptr<KafkaConsumer>> Create(const ConsumerOptions& options,
                                                               BatchHandler handler,
                                                               KafkaPublisher& dlq);
  // One record at a time; after a retryable status, the rest of the batch
  // on that partition is not handled (it is offered again).
  static absl::StatusOr<std::unique_ptr<KafkaConsumer>> Create(const ConsumerOptions& options,
                                                               RecordHandler handler,
                                                               KafkaPublisher& dlq);
  ~KafkaConsumer();

  // Polls and handles records until Stop(); then commits stored offsets and
  // leaves the group.
  void Run();
  void Stop() { stop_ = true; }

 private:
  KafkaConsumer(ConsumerOptions options, BatchHandler handler, KafkaPublisher& dlq,
                std::unique_ptr<RdKafka::KafkaConsumer> consumer);
  // The record to the dead-letter topic with its headers (from `message`,
  // the record as fetched) and the reason.
  absl::Status DeadLetter(const ConsumedRecord& record, RdKafka::Message& message,
                          const absl::Status& error);
  // What was fetched: waits up to 100 ms for the first record, then takes
  // what is already there. The messages stay in fetched_ until the batch
  // is settled.
  std::vector<ConsumedRecord> Fetch();
  // Handles a batch and stores the offsets it may commit; returns whether
  // a partition is to be retried.
  bool Settle(const std::vector<ConsumedRecord>& batch);
  void SeekTo(const ConsumedRecord& record);
  // Leaves the group, waiting at most close_timeout_ms.
  void Close();
  // Logs a change of this member's partitions (looked at once a second at
  // most) and keeps gridbridge_kafka_consumer_assigned_partitions: a member
  // that is not consuming shows at a glance whether it has nothing
  // assigned (a rebalance, a group still joining) or is stuck; and
  // gridbridge_kafka_consumer_lag_records: whether it keeps up.
  void NoteAssignment();
  void SetAssigned(std::set<std::pair<std::string, int>> assigned);
  void SetLag(std::map<std::string, double> lag);

  ConsumerOptions options_;
  BatchHandler handler_;
  KafkaPublisher& dlq_;
  std::atomic<bool> stop_{false};
  std::set<std::pair<std::string, int>> assigned_;  // (topic, partition), as last looked at
  std::map<std::string, double> lag_;               // topic -> records, as last looked at
  std::chrono::steady_clock::time_point next_assignment_check_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;  // closed before the members above go
  // The batch being settled as fetched, index for index: what a dead letter
  // is made of. Released before the consumer closes (librdkafka does not let
  // a consumer go while its messages are held): after each batch, and first
  // of all on destruction.
  std::vector<std::unique_ptr<RdKafka::Message>> fetched_;
};

}  // namespace gridbridge::platform
