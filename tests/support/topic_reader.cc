#include "topic_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <set>

namespace gridbridge::testing {

std::vector<TopicRecord> ReadWholeTopic(const std::string& bootstrap, const std::string& topic,
                                        std::chrono::milliseconds timeout) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("group.id", "topic-reader-unused", err);
  conf->set("enable.partition.eof", "true", err);
  conf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  RdKafka::Metadata* raw = nullptr;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(consumer.get(), topic, nullptr, err));
  consumer->metadata(false, t.get(), &raw, 10000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<RdKafka::TopicPartition*> partitions;
  if (metadata) {
    for (const auto* tm : *metadata->topics()) {
      for (const auto* pm : *tm->partitions()) {
        partitions.push_back(
            RdKafka::TopicPartition::create(topic, pm->id(), RdKafka::Topic::OFFSET_BEGINNING));
      }
    }
  }
  size_t partition_count = partitions.size();
  consumer->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  std::vector<TopicRecord> out;
  std::set<int> at_end;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (at_end.size() < partition_count && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      at_end.insert(m->partition());
      continue;
    }
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    at_end.erase(m->partition());
    TopicRecord r;
    r.topic = m->topic_name();
    r.partition = m->partition();
    r.offset = m->offset();
    if (m->key()) r.key = *m->key();
    r.value.assign(static_cast<const char*>(m->payload()), m->len());
    if (auto* h = m->headers()) {
      for (const auto& header : h->get_all()) {
        r.headers.emplace_back(header.key(), std::string(static_cast<const char*>(header.value()),
                                                         header.value_size()));
      }
    }
    out.push_back(std::move(r));
  }
  consumer->close();
  return out;
}

std::string HeaderValue(const TopicRecord& record, const std::string& name) {
  for (const auto& [k, v] : record.headers) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace gridbridge::testing
