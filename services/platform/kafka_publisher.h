#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cloud_events.h"

namespace RdKafka {
class Producer;
}

namespace gridbridge::platform {

// What to send: key chosen by the producer for ordering (entity or grid id).
struct KafkaRecord {
  std::string topic;
  std::string key;
  std::string value;
  KafkaHeaders headers;
};

// The same as views of bytes kept elsewhere (an outbox entry read from
// Redis): what the relay publishes without copying them first.
struct KafkaRecordView {
  std::string_view topic;
  std::string_view key;
  std::string_view value;
  std::vector<HeaderView> headers;
};

KafkaRecordView ViewOf(const KafkaRecord& record);
KafkaRecord Owned(const KafkaRecordView& record);
std::vector<KafkaRecord> Owned(const std::vector<KafkaRecordView>& records);

struct KafkaOptions {
  std::string bootstrap;  // host:port[,host:port]
  std::string client_id = "gridbridge";
  // Extra librdkafka properties, e.g. {"linger.ms","5"}. Applied last.
  std::map<std::string, std::string> properties;
};

// An idempotent Kafka producer (enable.idempotence: acks=all, ordered
// retries without duplicates inside one producer session) that tells the
// caller when each record is durable.
//
// Thread-safe. A background thread serves delivery reports. Publish blocks
// until the broker acknowledged every record or its delivery failed; nothing
// is reported OK before the delivery report says so.
class KafkaPublisher {
 public:
  // INVALID_ARGUMENT on bad properties.
  static absl::StatusOr<std::unique_ptr<KafkaPublisher>> Create(const KafkaOptions& options);
  ~KafkaPublisher();  // flushes up to 5 s, then drops what is left

  // One status per record, in order: OK once acknowledged (acks=all),
  // UNAVAILABLE if delivery failed or `timeout` passed first (the record may
  // still arrive later: callers must treat that as "maybe sent").
  std::vector<absl::Status> PublishBatch(const std::vector<KafkaRecordView>& records,
                                         absl::Duration timeout);
  std::vector<absl::Status> PublishBatch(const std::vector<KafkaRecord>& records,
                                         absl::Duration timeout);
  absl::Status Publish(const KafkaRecord& record, absl::Duration timeout);

  // OK if the cluster answered a metadata request within `timeout`.
  absl::Status CheckBroker(absl::Duration timeout);

  // Asks the cluster for `topic`'s partitions and their leaders, which the
  // producer keeps: records to a topic it has not yet published to wait for
  // that answer otherwise (against the local broker, the first 10,000
  // records took ~0.9 s instead of ~0.1 s in 8 of 19 runs;
  // docs/performance.md, session 24). NOT_FOUND if the cluster has no such
  // topic (and does not create it when asked, as the local broker does),
  // UNAVAILABLE if it did not answer within `timeout`.
  absl::Status LoadTopic(const std::string& topic, absl::Duration timeout);

 private:
  explicit KafkaPublisher(std::unique_ptr<RdKafka::Producer> producer);
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

}  // namespace gridbridge::platform
