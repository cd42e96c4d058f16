#pragma once

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "gridbridge/common/v1/actor.pb.h"
#include "gridbridge/common/v1/event.pb.h"
#include "kafka_publisher.h"

namespace gridbridge::platform {

// The EventMeta every event carries (field 1): a fresh event id, the
// entity and its version after the change, when, by whom, and the grid.
common::v1::EventMeta NewEventMeta(const std::string& entity_id, long long version,
                                   const std::string& grid_id, const common::v1::Actor& actor,
                                   absl::Time now);

// The Kafka record of `event` (whose meta is `meta`): value = the event,
// CloudEvents headers with ce_id = meta.event_id and ce_type = the event's
// full proto name, ce_source = `source` (e.g. "/gridbridge/intake").
KafkaRecord EventRecord(const std::string& topic, const std::string& key,
                        const google::protobuf::Message& event, const common::v1::EventMeta& meta,
                        const std::string& source);

// The outbox frame of EventRecord(...) (see outbox.h), written without the
// record: the event serialized straight into the frame, the headers from
// views. For GridTransaction::PublishFrame: every event of every commit
// passes here.
std::string EventFrame(const std::string& topic, const std::string& key,
                       const google::protobuf::Message& event, const common::v1::EventMeta& meta,
                       const std::string& source);
// The same for an event of proto type `type_name` that its producer
// serialized itself (`value`), e.g. around bytes it had already.
std::string EventFrame(const std::string& topic, const std::string& key, std::string_view type_name,
                       std::string_view value, const common::v1::EventMeta& meta,
                       const std::string& source);

}  // namespace gridbridge::platform
