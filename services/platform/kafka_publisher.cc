#include "kafka_publisher.h"

#include <librdkafka/rdkafkacpp.h>

#include <condition_variable>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "background_thread.h"
#include "kafka_config.h"
#include "metrics.h"

namespace gridbridge::platform {
namespace {

// Shared between a waiting PublishBatch and the delivery reports of its
// records; outlives the caller if it gave up waiting.
struct BatchState {
  std::mutex mu;
  std::condition_variable cv;
  size_t remaining = 0;
  std::vector<absl::Status> statuses;
};

struct PendingRecord {
  std::shared_ptr<BatchState> batch;
  size_t index;
};

prometheus::Family<prometheus::Counter>& DeliveryCounter() {
  static auto& family = prometheus::BuildCounter()
                            .Name("gridbridge_kafka_produced_total")
                            .Help("Kafka records by topic and delivery outcome")
                            .Register(Metrics());
  return family;
}

// The delivery counter of a topic and outcome. Reports come from one
// thread per producer and almost all are "ok": those counters are kept
// per thread and topic instead of looked up by their labels per record.
prometheus::Counter& Delivered(const std::string& topic, bool ok) {
  if (!ok) return DeliveryCounter().Add({{"topic", topic}, {"outcome", "failed"}});
  thread_local absl::flat_hash_map<std::string, prometheus::Counter*> delivered;
  prometheus::Counter*& counter = delivered[topic];
  if (counter == nullptr) counter = &DeliveryCounter().Add({{"topic", topic}, {"outcome", "ok"}});
  return *counter;
}

class DeliveryReports final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* pending = static_cast<PendingRecord*>(message.msg_opaque());
    if (pending == nullptr) return;
    bool ok = message.err() == RdKafka::ERR_NO_ERROR;
    Delivered(message.topic_name(), ok).Increment();
    {
      std::lock_guard lock(pending->batch->mu);
      pending->batch->statuses[pending->index] =
          ok ? absl::OkStatus()
             : absl::UnavailableError("kafka delivery to " + message.topic_name() +
                                      " failed: " + message.errstr());
      if (--pending->batch->remaining == 0) pending->batch->cv.notify_all();
    }
    delete pending;
  }
};

DeliveryReports& SharedDeliveryReports() {
  static DeliveryReports reports;
  return reports;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaPublisher>> KafkaPublisher::Create(
    const KafkaOptions& options) {
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options.bootstrap},
      {"client.id", options.client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "5"},
      {"message.timeout.ms", "30000"},
      {"queue.buffering.max.messages", "1000000"},
  };
  for (const auto& [k, v] : options.properties) props[k] = v;
  auto conf = MakeKafkaConf(props);
  if (!conf.ok()) return conf.status();
  std::string err;
  if ((*conf)->set("dr_cb", &SharedDeliveryReports(), err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError("kafka dr_cb: " + err);
  }
  // Its threads (compression, the broker connections) work for the relays,
  // background threads: no request waits on a publish.
  std::unique_ptr<RdKafka::Producer> producer;
  RunOnBackgroundThread("kafka-producer",
                        [&] { producer.reset(RdKafka::Producer::create(conf->get(), err)); });
  if (!producer) return absl::InvalidArgumentError("kafka producer: " + err);
  return std::unique_ptr<KafkaPublisher>(new KafkaPublisher(std::move(producer)));
}

KafkaPublisher::KafkaPublisher(std::unique_ptr<RdKafka::Producer> producer)
    : producer_(std::move(producer)) {
  poller_ = std::thread([this] {
    // Delivery reports: the relays wait for them, no request does.
    BecomeBackgroundThread("kafka-delivery");
    while (!stop_.load()) producer_->poll(50);
  });
}

KafkaPublisher::~KafkaPublisher() {
  producer_->flush(5000);
  stop_ = true;
  poller_.join();
  producer_->poll(0);
}

KafkaRecordView ViewOf(const KafkaRecord& r) {
  KafkaRecordView v{r.topic, r.key, r.value, {}};
  v.headers.reserve(r.headers.size());
  for (const auto& [name, value] : r.headers) v.headers.emplace_back(name, value);
  return v;
}

KafkaRecord Owned(const KafkaRecordView& v) {
  KafkaRecord r{std::string(v.topic), std::string(v.key), std::string(v.value), {}};
  r.headers.reserve(v.headers.size());
  for (const auto& [name, value] : v.headers) r.headers.emplace_back(name, value);
  return r;
}

std::vector<KafkaRecord> Owned(const std::vector<KafkaRecordView>& records) {
  std::vector<KafkaRecord> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back(Owned(r));
  return out;
}

std::vector<absl::Status> KafkaPublisher::PublishBatch(const std::vector<KafkaRecord>& records,
                                                       absl::Duration timeout) {
  std::vector<KafkaRecordView> views;
  views.reserve(records.size());
  for (const auto& r : records) views.push_back(ViewOf(r));
  return PublishBatch(views, timeout);
}

std::vector<absl::Status> KafkaPublisher::PublishBatch(const std::vector<KafkaRecordView>& records,
                                                       absl::Duration timeout) {
  auto batch = std::make_shared<BatchState>();
  batch->statuses.assign(records.size(),
                         absl::UnavailableError("kafka delivery not confirmed in time"));
  batch->remaining = records.size();
  const absl::Time deadline = absl::Now() + timeout;
  std::string topic;
  for (size_t i = 0; i < records.size(); ++i) {
    const KafkaRecordView& r = records[i];
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [k, v] : r.headers) headers->add(std::string(k), v.data(), v.size());
    // The C++ API takes the topic as a string: one per topic, not per record.
    if (topic != r.topic) topic.assign(r.topic);
    auto* pending = new PendingRecord{batch, i};
    RdKafka::ErrorCode code;
    while (true) {
      code = producer_->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                const_cast<char*>(r.value.data()), r.value.size(), r.key.data(),
                                r.key.size(), 0, headers, pending);
      // A full local queue drains as the broker acknowledges: wait a bit.
      if (code != RdKafka::ERR__QUEUE_FULL || absl::Now() > deadline) break;
      producer_->poll(10);
    }
    if (code != RdKafka::ERR_NO_ERROR) {
      delete headers;  // ownership passes to librdkafka only on success
      delete pending;
      std::lock_guard lock(batch->mu);
      batch->statuses[i] = absl::UnavailableError("kafka produce to " + topic +
                                                  " failed: " + RdKafka::err2str(code));
      --batch->remaining;
    }
  }
  std::unique_lock lock(batch->mu);
  batch->cv.wait_until(lock, absl::ToChronoTime(deadline), [&] { return batch->remaining == 0; });
  return batch->statuses;
}

absl::Status KafkaPublisher::Publish(const KafkaRecord& record, absl::Duration timeout) {
  return PublishBatch({record}, timeout).front();
}

absl::Status KafkaPublisher::LoadTopic(const std::string& topic, absl::Duration timeout) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(producer_.get(), topic, nullptr, err));
  if (!handle) return absl::InvalidArgumentError("kafka topic " + topic + ": " + err);
  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode code = producer_->metadata(
      false, handle.get(), &raw, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("kafka metadata of " + topic + ": " + RdKafka::err2str(code));
  }
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->topic() == topic && t->err() == RdKafka::ERR_NO_ERROR && !t->partitions()->empty()) {
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError("kafka topic " + topic + ": the cluster does not have it");
}

absl::Status KafkaPublisher::CheckBroker(absl::Duration timeout) {
  RdKafka::Metadata* raw = nullptr;
  RdKafka::ErrorCode code = producer_->metadata(
      true, nullptr, &raw, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("kafka metadata: " + RdKafka::err2str(code));
  }
  return absl::OkStatus();
}

}  // namespace gridbridge::platform
