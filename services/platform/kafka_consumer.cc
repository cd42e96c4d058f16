#include "kafka_consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "background_thread.h"
#include "kafka_config.h"
#include "metrics.h"
#include "spdlog/spdlog.h"

namespace gridbridge::platform {
namespace {

prometheus::Family<prometheus::Counter>& ConsumedCounter() {
  static auto& family =
      prometheus::BuildCounter()
          .Name("gridbridge_kafka_consumed_total")
          .Help("Kafka records handled, by topic and outcome (ok, retry, dead_letter)")
          .Register(Metrics());
  return family;
}

// What a batch held and how long its handler took, per consumer group:
// small batches with idle handlers mean the fetch is the limit, big ones
// with long handlers the handler's dependencies (Redis).
struct BatchMetrics {
  prometheus::Histogram& records;
  prometheus::Histogram& seconds;
};

BatchMetrics BatchMetricsFor(const std::string& group) {
  static auto& records = prometheus::BuildHistogram()
                             .Name("gridbridge_kafka_consumer_batch_records")
                             .Help("Records per batch handed to the handler, by consumer group")
                             .Register(Metrics());
  static auto& seconds = prometheus::BuildHistogram()
                             .Name("gridbridge_kafka_consumer_batch_seconds")
                             .Help("Time the handler took per batch, by consumer group")
                             .Register(Metrics());
  static const prometheus::Histogram::BucketBoundaries kSizes = {1,   10,   50,   100, 250,
                                                                 500, 1000, 2000, 5000};
  return {records.Add({{"group", group}}, kSizes),
          seconds.Add({{"group", group}}, LatencyBuckets())};
}

prometheus::Gauge& AssignedPartitions(const std::string& group) {
  static auto& family =
      prometheus::BuildGauge()
          .Name("gridbridge_kafka_consumer_assigned_partitions")
          .Help("Partitions assigned to this process's members of a consumer group")
          .Register(Metrics());
  return family.Add({{"group", group}});
}

prometheus::Gauge& LagRecords(const std::string& group, const std::string& topic) {
  static auto& family =
      prometheus::BuildGauge()
          .Name("gridbridge_kafka_consumer_lag_records")
          .Help(
              "Records on the partitions this process's members of a consumer group hold that "
              "they have not taken yet (high watermark minus position), by topic; looked at "
              "once a second")
          .Register(Metrics());
  return family.Add({{"group", group}, {"topic", topic}});
}

// "topic[0,1,2] other[3]" for a log line.
std::string Describe(const std::set<std::pair<std::string, int>>& partitions) {
  std::string out;
  const std::string* topic = nullptr;
  for (const auto& [t, p] : partitions) {
    if (topic == nullptr || *topic != t) {
      if (topic != nullptr) out += "] ";
      out += t + "[";
      topic = &t;
    } else {
      out += ",";
    }
    out += std::to_string(p);
  }
  if (topic != nullptr) out += "]";
  return out;
}

ConsumedRecord ToRecord(RdKafka::Message& m) {
  ConsumedRecord r;
  r.topic = m.topic_name();
  r.partition = m.partition();
  r.offset = m.offset();
  if (m.key() != nullptr) r.key = *m.key();
  r.value.assign(static_cast<const char*>(m.payload()), m.len());
  return r;
}

KafkaHeaders HeadersOf(RdKafka::Message& m) {
  KafkaHeaders out;
  if (const RdKafka::Headers* h = m.headers()) {
    for (const auto& header : h->get_all()) {
      out.emplace_back(header.key(), header.value() == nullptr
                                         ? std::string()
                                         : std::string(static_cast<const char*>(header.value()),
                                                       header.value_size()));
    }
  }
  return out;
}

}  // namespace

bool IsRetryable(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

std::map<std::string, std::string> ConsumerProperties(const ConsumerOptions& options) {
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options.kafka.bootstrap},
      {"client.id", options.kafka.client_id},
      {"group.id", options.group_id},
      {"enable.auto.commit", "true"},
      // Offsets are stored by us after the handler, and only then committed.
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"session.timeout.ms", std::to_string(options.session_timeout_ms)},
      {"heartbeat.interval.ms", std::to_string(std::max(100, options.session_timeout_ms / 6))},
      {"fetch.wait.max.ms", std::to_string(options.fetch_wait_ms)},
  };
  for (const auto& [k, v] : options.kafka.properties) props[k] = v;
  return props;
}

absl::StatusOr<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Create(const ConsumerOptions& options,
                                                                     RecordHandler handler,
                                                                     KafkaPublisher& dlq) {
  BatchHandler each = [handler = std::move(handler)](const std::vector<ConsumedRecord>& batch) {
    std::vector<absl::Status> out;
    std::set<std::pair<std::string, int>> waiting;  // partitions to be retried
    for (const auto& record : batch) {
      if (waiting.count({record.topic, record.partition}) != 0) {
        out.push_back(absl::UnavailableError("an earlier record of the partition is retried"));
        continue;
      }
      absl::Status result;
      try {
        result = handler(record);
      } catch (const std::exception& e) {
        result = absl::InternalError(std::string("handler threw: ") + e.what());
      }
      if (IsRetryable(result)) waiting.insert({record.topic, record.partition});
      out.push_back(std::move(result));
    }
    return out;
  };
  return Create(options, std::move(each), dlq);
}

absl::StatusOr<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Create(const ConsumerOptions& options,
                                                                     BatchHandler handler,
                                                                     KafkaPublisher& dlq) {
  if (options.dead_letter_topic.empty()) {
    return absl::InvalidArgumentError("consumer needs a dead-letter topic");
  }
  auto conf = MakeKafkaConf(ConsumerProperties(options));
  if (!conf.ok()) return conf.status();
  std::string err;
  // Its fetch threads work for the consumer's loop, a background thread.
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  RunOnBackgroundThread("kafka-consumer",
                        [&] { consumer.reset(RdKafka::KafkaConsumer::create(conf->get(), err)); });
  if (!consumer) return absl::InvalidArgumentError("kafka consumer: " + err);
  if (RdKafka::ErrorCode code = consumer->subscribe(options.topics);
      code != RdKafka::ERR_NO_ERROR) {
    return absl::InvalidArgumentError("kafka subscribe: " + RdKafka::err2str(code));
  }
  return std::unique_ptr<KafkaConsumer>(
      new KafkaConsumer(options, std::move(handler), dlq, std::move(consumer)));
}

KafkaConsumer::KafkaConsumer(ConsumerOptions options, BatchHandler handler, KafkaPublisher& dlq,
                             std::unique_ptr<RdKafka::KafkaConsumer> consumer)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      dlq_(dlq),
      consumer_(std::move(consumer)) {}

KafkaConsumer::~KafkaConsumer() {
  fetched_.clear();
  if (consumer_) consumer_->close();
}

absl::Status KafkaConsumer::DeadLetter(const ConsumedRecord& record, RdKafka::Message& message,
                                       const absl::Status& error) {
  KafkaRecord dead{options_.dead_letter_topic, record.key, record.value, HeadersOf(message)};
  dead.headers.emplace_back("gb_dlq_error", error.ToString());
  dead.headers.emplace_back("gb_dlq_topic", record.topic);
  dead.headers.emplace_back("gb_dlq_partition", std::to_string(record.partition));
  dead.headers.emplace_back("gb_dlq_offset", std::to_string(record.offset));
  dead.headers.emplace_back("gb_dlq_group", options_.group_id);
  return dlq_.Publish(dead, absl::Seconds(30));
}

std::vector<ConsumedRecord> KafkaConsumer::Fetch() {
  std::vector<ConsumedRecord> batch;
  fetched_.clear();
  int wait_ms = 100;
  while (static_cast<int>(batch.size()) < std::max(1, options_.max_batch)) {
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(wait_ms));
    if (msg->err() == RdKafka::ERR__TIMED_OUT) break;
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) continue;
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("kafka consumer {}: {}", options_.group_id, msg->errstr());
      break;
    }
    batch.push_back(ToRecord(*msg));
    fetched_.push_back(std::move(msg));
    wait_ms = 0;
  }
  return batch;
}

void KafkaConsumer::SeekTo(const ConsumedRecord& record) {
  // Seeking drops what was fetched after the record on its partition.
  std::unique_ptr<RdKafka::TopicPartition> tp(
      RdKafka::TopicPartition::create(record.topic, record.partition, record.offset));
  consumer_->seek(*tp, 1000);
}

bool KafkaConsumer::Settle(const std::vector<ConsumedRecord>& batch) {
  std::vector<absl::Status> results;
  try {
    results = handler_(batch);
  } catch (const std::exception& e) {
    results.assign(batch.size(), absl::InternalError(std::string("handler threw: ") + e.what()));
  }
  if (results.size() != batch.size()) {
    // A handler bug; nothing is lost if the whole batch comes again.
    spdlog::error("kafka consumer {}: handler answered {} statuses for {} records",
                  options_.group_id, results.size(), batch.size());
    results.assign(batch.size(), absl::UnavailableError("handler answered the wrong count"));
  }
  // Keyed by views of the batch's topics: no string copied per record.
  std::set<std::pair<std::string_view, int>> waiting;          // partitions resuming at a record
  std::map<std::pair<std::string_view, int>, long long> next;  // offsets to store
  std::map<std::pair<std::string_view, std::string_view>, int> outcomes;  // (topic, outcome)
  for (size_t i = 0; i < batch.size(); ++i) {
    const ConsumedRecord& record = batch[i];
    const auto partition = std::make_pair(std::string_view(record.topic), record.partition);
    if (waiting.count(partition) != 0) continue;
    const absl::Status& result = results[i];
    std::string_view outcome = "ok";
    if (!result.ok() && IsRetryable(result)) {
      spdlog::warn("kafka {}[{}]@{}: retry: {}", record.topic, record.partition, record.offset,
                   result.ToString());
      waiting.insert(partition);
      SeekTo(record);
      ++outcomes[{record.topic, "retry"}];
      continue;
    }
    if (!result.ok()) {
      outcome = "dead_letter";
      spdlog::error("kafka {}[{}]@{}: to dead-letter topic: {}", record.topic, record.partition,
                    record.offset, result.ToString());
      if (absl::Status dl = DeadLetter(record, *fetched_[i], result); !dl.ok()) {
        // Not stored: the record will be seen again rather than lost.
        spdlog::error("dead-letter publish failed, will retry: {}", dl.ToString());
        waiting.insert(partition);
        SeekTo(record);
        continue;
      }
    }
    next[partition] = record.offset + 1;
    ++outcomes[{record.topic, outcome}];
  }
  // Counted once per batch: the family's lookup (labels built, a lock
  // taken) per record was a measurable part of a cheap record's handling.
  for (const auto& [key, count] : outcomes) {
    ConsumedCounter()
        .Add({{"topic", std::string(key.first)}, {"outcome", std::string(key.second)}})
        .Increment(count);
  }
  if (!next.empty()) {
    std::vector<RdKafka::TopicPartition*> offsets;
    for (const auto& [tp, offset] : next) {
      offsets.push_back(RdKafka::TopicPartition::create(std::string(tp.first), tp.second, offset));
    }
    consumer_->offsets_store(offsets);
    RdKafka::TopicPartition::destroy(offsets);
  }
  return !waiting.empty();
}

void KafkaConsumer::Run() {
  BecomeBackgroundThread("consumer");
  int backoff_ms = 0;
  const BatchMetrics metrics = BatchMetricsFor(options_.group_id);
  while (!stop_.load()) {
    std::vector<ConsumedRecord> batch = Fetch();
    NoteAssignment();
    if (batch.empty()) continue;
    metrics.records.Observe(static_cast<double>(batch.size()));
    const auto started = std::chrono::steady_clock::now();
    const bool retry = Settle(batch);
    fetched_.clear();
    metrics.seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (!retry) {
      backoff_ms = 0;
      continue;
    }
    // A dependency failed: wait before the records are offered again.
    backoff_ms = std::clamp(backoff_ms * 2, 100, options_.max_retry_backoff_ms);
    for (int waited = 0; waited < backoff_ms && !stop_.load(); waited += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  // Not commitSync: with the broker gone it blocks for ~10 s. Leaving the
  // group commits the stored offsets too (auto commit is on), within
  // Close()'s bound.
  consumer_->commitAsync();
  Close();
}

void KafkaConsumer::Close() {
  // A blocking close() never returns while the group coordinator cannot be
  // reached (seen when the local broker stopped before a service did), so
  // the group is left in the background and waited for a bounded time.
  std::unique_ptr<RdKafka::Queue> events(RdKafka::Queue::create(consumer_.get()));
  std::unique_ptr<RdKafka::Error> error(consumer_->close(events.get()));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.close_timeout_ms);
  while (error == nullptr && !consumer_->closed() && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> event(events->consume(100));
  }
  if (error != nullptr || !consumer_->closed()) {
    spdlog::warn("kafka consumer {}: did not leave the group cleanly ({}); dropping it",
                 options_.group_id, error != nullptr ? error->str() : "timed out");
  }
  events.reset();
  SetAssigned({});
  SetLag({});
  // The C++ consumer's destructor does not close again (it destroys with
  // RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE).
  consumer_.reset();
}

void KafkaConsumer::NoteAssignment() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_assignment_check_) return;
  next_assignment_check_ = now + std::chrono::seconds(1);
  std::vector<RdKafka::TopicPartition*> partitions;
  if (consumer_->assignment(partitions) != RdKafka::ERR_NO_ERROR) return;
  std::set<std::pair<std::string, int>> assigned;
  for (const auto* p : partitions) assigned.emplace(p->topic(), p->partition());
  // The lag from what librdkafka already knows (no broker round trip): the
  // next offset it hands this member and the high watermark of its last
  // fetch. A partition it has handed nothing from yet is not counted.
  std::map<std::string, double> lag;
  if (consumer_->position(partitions) == RdKafka::ERR_NO_ERROR) {
    for (const auto* p : partitions) {
      int64_t low = 0, high = 0;
      if (p->offset() < 0 || consumer_->get_watermark_offsets(p->topic(), p->partition(), &low,
                                                              &high) != RdKafka::ERR_NO_ERROR) {
        continue;
      }
      lag[p->topic()] += static_cast<double>(std::max<int64_t>(0, high - p->offset()));
    }
  }
  RdKafka::TopicPartition::destroy(partitions);
  SetAssigned(std::move(assigned));
  SetLag(std::move(lag));
}

void KafkaConsumer::SetLag(std::map<std::string, double> lag) {
  // Members of one group in one process share the gauge: each adds the
  // change of its own part.
  for (const auto& [topic, before] : lag_) {
    if (lag.count(topic) == 0) LagRecords(options_.group_id, topic).Decrement(before);
  }
  for (const auto& [topic, now] : lag) {
    auto before = lag_.find(topic);
    LagRecords(options_.group_id, topic)
        .Increment(now - (before == lag_.end() ? 0 : before->second));
  }
  lag_ = std::move(lag);
}

void KafkaConsumer::SetAssigned(std::set<std::pair<std::string, int>> assigned) {
  if (assigned == assigned_) return;
  AssignedPartitions(options_.group_id)
      .Increment(static_cast<double>(assigned.size()) - static_cast<double>(assigned_.size()));
  spdlog::info("kafka consumer {}: {} partition(s) assigned, {} before: {}", options_.group_id,
               assigned.size(), assigned_.size(), assigned.empty() ? "none" : Describe(assigned));
  assigned_ = std::move(assigned);
}

}  // namespace gridbridge::platform
