#include "event_records.h"

#include "cloud_events.h"
#include "google/protobuf/util/time_util.h"
#include "outbox.h"

namespace gridbridge::platform {

common::v1::EventMeta NewEventMeta(const std::string& entity_id, long long version,
                                   const std::string& grid_id, const common::v1::Actor& actor,
                                   absl::Time now) {
  common::v1::EventMeta meta;
  meta.set_event_id(NewUuid());
  meta.set_entity_id(entity_id);
  meta.set_entity_version(version);
  *meta.mutable_occurred_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  *meta.mutable_actor() = actor;
  meta.set_grid_id(grid_id);
  return meta;
}

namespace {

absl::Time OccurredAt(const common::v1::EventMeta& meta) {
  return absl::FromUnixNanos(
      google::protobuf::util::TimeUtil::TimestampToNanoseconds(meta.occurred_at()));
}

}  // namespace

KafkaRecord EventRecord(const std::string& topic, const std::string& key,
                        const google::protobuf::Message& event, const common::v1::EventMeta& meta,
                        const std::string& source) {
  CloudEvent ce{meta.event_id(), event.GetTypeName(), source, OccurredAt(meta)};
  return {topic, key, event.SerializeAsString(), ToKafkaHeaders(ce)};
}

std::string EventFrame(const std::string& topic, const std::string& key,
                       const google::protobuf::Message& event, const common::v1::EventMeta& meta,
                       const std::string& source) {
  const auto headers =
      CloudEventHeaderViews(meta.event_id(), event.GetDescriptor()->full_name(), source,
                            EventTimeText(OccurredAt(meta)), kProtobufContentType);
  return OutboxFrame(topic, key, event, headers);
}

std::string EventFrame(const std::string& topic, const std::string& key, std::string_view type_name,
                       std::string_view value, const common::v1::EventMeta& meta,
                       const std::string& source) {
  const auto headers = CloudEventHeaderViews(meta.event_id(), type_name, source,
                                             EventTimeText(OccurredAt(meta)), kProtobufContentType);
  return OutboxFrame(topic, key, value, headers);
}

}  // namespace gridbridge::platform
