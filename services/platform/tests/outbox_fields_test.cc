// The outbox entry formats: what commit scripts write, what the relay reads.
#include "event_records.h"
#include "gridbridge/common/v1/outbox.pb.h"
#include "gtest/gtest.h"
#include "outbox.h"

namespace gridbridge::platform {
namespace {

RedisReply Str(const std::string& s) {
  RedisReply r;
  r.type = RedisReply::Type::kString;
  r.str = s;
  return r;
}

RedisReply Fields(const std::vector<std::string>& strings) {
  RedisReply fields;
  fields.type = RedisReply::Type::kArray;
  for (const auto& s : strings) fields.elements.push_back(Str(s));
  return fields;
}

TEST(OutboxEntry, ConcatenatedFramesDecodeAsTheirRecordsInOrder) {
  KafkaRecord a{"t1", "k1", std::string("v\0x", 3), {{"ce_id", "1"}, {"ce_type", "T"}}};
  KafkaRecord b{"t2", "", "", {}};
  KafkaRecord c{"t1", "k3", "value-3", {{"ce_id", "3"}}};
  // What a commit script does: concatenate the frames of what committed.
  auto records = DecodeOutboxEntry(Fields({"b", OutboxFrame(a) + OutboxFrame(b) + OutboxFrame(c)}));
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].topic, "t1");
  EXPECT_EQ((*records)[0].key, "k1");
  EXPECT_EQ((*records)[0].value, std::string("v\0x", 3));
  EXPECT_EQ((*records)[0].headers, a.headers);
  EXPECT_EQ((*records)[1].topic, "t2");
  EXPECT_TRUE((*records)[1].headers.empty());
  EXPECT_EQ((*records)[2].key, "k3");
  EXPECT_EQ((*records)[2].value, "value-3");
}

TEST(OutboxEntry, AFrameIsAnOutboxBatchOfOneRecord) {
  common::v1::OutboxBatch batch;
  ASSERT_TRUE(batch.ParseFromString(OutboxFrame({"topic", "key", "value", {{"h", "1"}}})));
  ASSERT_EQ(batch.records_size(), 1);
  EXPECT_EQ(batch.records(0).topic(), "topic");
  EXPECT_EQ(batch.records(0).headers(0).name(), "h");
}

// Frames are written and read field by field: the bytes must be what the
// generated OutboxBatch class writes and reads, empty fields and lengths
// of several varint bytes included.
TEST(OutboxEntry, FramesAreTheBytesOfTheGeneratedClass) {
  const std::vector<KafkaRecord> records = {
      {"topic", "key", std::string(300, 'v'), {{"ce_id", "1"}, {"empty", ""}, {"", "x"}}},
      {"t", "", "", {}},
      {std::string(20000, 't'), std::string("k\0", 2), "v", {{"h", std::string(200, 'h')}}},
  };
  common::v1::OutboxBatch expected;
  std::string frames;
  for (const auto& r : records) {
    frames += OutboxFrame(r);
    auto* m = expected.add_records();
    m->set_topic(r.topic);
    m->set_key(r.key);
    m->set_value(r.value);
    for (const auto& [name, value] : r.headers) {
      auto* h = m->add_headers();
      h->set_name(name);
      h->set_value(value);
    }
  }
  EXPECT_EQ(frames, expected.SerializeAsString());
  auto decoded = DecodeOutboxFrames(frames);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ((*decoded)[i].topic, records[i].topic);
    EXPECT_EQ((*decoded)[i].key, records[i].key);
    EXPECT_EQ((*decoded)[i].value, records[i].value);
    EXPECT_EQ((*decoded)[i].headers, records[i].headers);
  }
  // Fields a later version may add are skipped.
  common::v1::OutboxBatch with_unknown = expected;
  auto* second = with_unknown.mutable_records(1);
  second->GetReflection()->MutableUnknownFields(second)->AddVarint(5, 7);
  decoded = DecodeOutboxFrames(with_unknown.SerializeAsString());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ((*decoded)[1].topic, "t");
  // Cut anywhere inside, the bytes are DATA_LOSS, never a shorter list.
  for (size_t cut : {1ul, 5ul, frames.size() / 2, frames.size() - 1}) {
    EXPECT_EQ(DecodeOutboxFrames(frames.substr(0, cut)).status().code(),
              absl::StatusCode::kDataLoss)
        << "cut at " << cut;
  }
}

// Commits publish events as frames written straight from the event: the
// same bytes as the frame of the event's Kafka record.
TEST(OutboxEntry, AnEventsFrameIsTheFrameOfItsRecord) {
  common::v1::EventMeta meta =
      NewEventMeta("r1", 3, "g1", common::v1::Actor(), absl::FromUnixMicros(1649642400123456));
  common::v1::OutboxHeader event;  // any message will do
  event.set_name(std::string(200, 'n'));
  event.set_value("v");
  const std::string frame = EventFrame("topic", "key", event, meta, "/gridbridge/test");
  EXPECT_EQ(frame, OutboxFrame(EventRecord("topic", "key", event, meta, "/gridbridge/test")));
  auto decoded = DecodeOutboxFrames(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  auto ce = FromKafkaHeaders((*decoded)[0].headers);
  ASSERT_TRUE(ce.ok()) << ce.status();
  EXPECT_EQ(ce->id, meta.event_id());
  EXPECT_EQ(ce->type, "gridbridge.common.v1.OutboxHeader");
  EXPECT_EQ(ce->time, absl::FromUnixMicros(1649642400123456));
  // An empty event has an empty value, left out like any empty field.
  EXPECT_EQ(EventFrame("topic", "key", common::v1::OutboxHeader(), meta, "/s"),
            OutboxFrame(EventRecord("topic", "key", common::v1::OutboxHeader(), meta, "/s")));
}

// An event its producer serialized itself makes the same frame.
TEST(OutboxEntry, AnEventSerializedByItsProducerMakesTheSameFrame) {
  common::v1::EventMeta meta =
      NewEventMeta("r1", 3, "g1", common::v1::Actor(), absl::FromUnixMicros(1649642400123456));
  common::v1::OutboxHeader event;
  event.set_name(std::string(200, 'n'));
  EXPECT_EQ(EventFrame("topic", "key", "gridbridge.common.v1.OutboxHeader",
                       event.SerializeAsString(), meta, "/gridbridge/test"),
            EventFrame("topic", "key", event, meta, "/gridbridge/test"));
  EXPECT_EQ(EventFrame("topic", "key", "gridbridge.common.v1.OutboxHeader", "", meta, "/s"),
            EventFrame("topic", "key", common::v1::OutboxHeader(), meta, "/s"));
}

TEST(OutboxEntry, SingleRecordEntriesOfTheFirstFormatStillDecode) {
  auto records =
      DecodeOutboxEntry(Fields({"t", "topic", "k", "key", "v", "value", "h:ce_id", "42"}));
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].topic, "topic");
  EXPECT_EQ((*records)[0].key, "key");
  EXPECT_EQ((*records)[0].value, "value");
  ASSERT_EQ((*records)[0].headers.size(), 1u);
  EXPECT_EQ((*records)[0].headers[0], (std::pair<std::string, std::string>{"ce_id", "42"}));
}

TEST(OutboxEntry, CorruptEntriesAreDataLoss) {
  EXPECT_EQ(DecodeOutboxEntry(Fields({"k", "key"})).status().code(), absl::StatusCode::kDataLoss)
      << "no topic";
  EXPECT_EQ(DecodeOutboxEntry(Fields({"b", "\x0a\x7f garbage"})).status().code(),
            absl::StatusCode::kDataLoss)
      << "a frame longer than the entry";
  EXPECT_EQ(DecodeOutboxEntry(Fields({"b", OutboxFrame({"", "k", "v", {}})})).status().code(),
            absl::StatusCode::kDataLoss)
      << "a record without a topic";
  EXPECT_EQ(DecodeOutboxEntry(Fields({"b"})).status().code(), absl::StatusCode::kDataLoss)
      << "odd field list";
}

}  // namespace
}  // namespace gridbridge::platform
