#include "kafka_consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <thread>

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

ConsumedRecord ToRecord(RdKafka::Message& m) {
  ConsumedRecord r;
  r.topic = m.topic_name();
  r.partition = m.partition();
  r.offset = m.offset();
  if (m.key() != nullptr) r.key = *m.key();
  r.value.assign(static_cast<const char*>(m.payload()), m.len());
  if (const RdKafka::Headers* h = m.headers()) {
    for (const auto& header : h->get_all()) {
      r.headers.emplace_back(
          header.key(),
          header.value() == nullptr
              ? std::string()
              : std::string(static_cast<const char*>(header.value()), header.value_size()));
    }
  }
  return r;
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

absl::StatusOr<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Create(const ConsumerOptions& options,
                                                                     RecordHandler handler,
                                                                     KafkaPublisher& dlq) {
  if (options.dead_letter_topic.empty()) {
    return absl::InvalidArgumentError("consumer needs a dead-letter topic");
  }
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
  };
  for (const auto& [k, v] : options.kafka.properties) props[k] = v;
  auto conf = MakeKafkaConf(props);
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!consumer) return absl::InvalidArgumentError("kafka consumer: " + err);
  if (RdKafka::ErrorCode code = consumer->subscribe(options.topics);
      code != RdKafka::ERR_NO_ERROR) {
    return absl::InvalidArgumentError("kafka subscribe: " + RdKafka::err2str(code));
  }
  return std::unique_ptr<KafkaConsumer>(
      new KafkaConsumer(options, std::move(handler), dlq, std::move(consumer)));
}

KafkaConsumer::KafkaConsumer(ConsumerOptions options, RecordHandler handler, KafkaPublisher& dlq,
                             std::unique_ptr<RdKafka::KafkaConsumer> consumer)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      dlq_(dlq),
      consumer_(std::move(consumer)) {}

KafkaConsumer::~KafkaConsumer() {
  if (consumer_) consumer_->close();
}

absl::Status KafkaConsumer::DeadLetter(const ConsumedRecord& record, const absl::Status& error) {
  KafkaRecord dead{options_.dead_letter_topic, record.key, record.value, record.headers};
  dead.headers.emplace_back("gb_dlq_error", error.ToString());
  dead.headers.emplace_back("gb_dlq_topic", record.topic);
  dead.headers.emplace_back("gb_dlq_partition", std::to_string(record.partition));
  dead.headers.emplace_back("gb_dlq_offset", std::to_string(record.offset));
  dead.headers.emplace_back("gb_dlq_group", options_.group_id);
  return dlq_.Publish(dead, absl::Seconds(30));
}

void KafkaConsumer::Run() {
  int backoff_ms = 0;
  while (!stop_.load()) {
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(100));
    if (msg->err() == RdKafka::ERR__TIMED_OUT || msg->err() == RdKafka::ERR__PARTITION_EOF)
      continue;
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("kafka consumer {}: {}", options_.group_id, msg->errstr());
      continue;
    }
    ConsumedRecord record = ToRecord(*msg);
    absl::Status result;
    try {
      result = handler_(record);
    } catch (const std::exception& e) {
      result = absl::InternalError(std::string("handler threw: ") + e.what());
    }
    std::string outcome = "ok";
    if (!result.ok() && IsRetryable(result)) {
      // Offer the same record again later: seek back and wait, polling on.
      outcome = "retry";
      backoff_ms = std::clamp(backoff_ms * 2, 100, options_.max_retry_backoff_ms);
      spdlog::warn("kafka {}[{}]@{}: retry in {} ms: {}", record.topic, record.partition,
                   record.offset, backoff_ms, result.ToString());
      std::unique_ptr<RdKafka::TopicPartition> tp(
          RdKafka::TopicPartition::create(record.topic, record.partition, record.offset));
      consumer_->seek(*tp, 1000);
      for (int waited = 0; waited < backoff_ms && !stop_.load(); waited += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      ConsumedCounter().Add({{"topic", record.topic}, {"outcome", outcome}}).Increment();
      continue;
    }
    backoff_ms = 0;
    if (!result.ok()) {
      outcome = "dead_letter";
      spdlog::error("kafka {}[{}]@{}: to dead-letter topic: {}", record.topic, record.partition,
                    record.offset, result.ToString());
      if (absl::Status dl = DeadLetter(record, result); !dl.ok()) {
        // Not stored: the record will be seen again rather than lost.
        spdlog::error("dead-letter publish failed, will retry: {}", dl.ToString());
        std::unique_ptr<RdKafka::TopicPartition> tp(
            RdKafka::TopicPartition::create(record.topic, record.partition, record.offset));
        consumer_->seek(*tp, 1000);
        continue;
      }
    }
    std::vector<RdKafka::TopicPartition*> offsets = {
        RdKafka::TopicPartition::create(record.topic, record.partition, record.offset + 1)};
    consumer_->offsets_store(offsets);
    RdKafka::TopicPartition::destroy(offsets);
    ConsumedCounter().Add({{"topic", record.topic}, {"outcome", outcome}}).Increment();
  }
  consumer_->commitSync();
  consumer_->close();
  consumer_.reset();
}

}  // namespace gridbridge::platform
