#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gridbridge::platform {

// The content type of gridbridge's event payloads.
inline constexpr char kProtobufContentType[] = "application/x-protobuf";

// CloudEvents 1.0 attributes in Kafka binary mode: each attribute is a
// record header "ce_<name>", the payload is the record value, and the
// payload's media type is the "content-type" header.
struct CloudEvent {
  std::string id;      // unique per event; consumers dedupe on it
  std::string type;    // the payload's full proto name, e.g. gridbridge.testing.v1.ProbeRecorded
  std::string source;  // the producing service, e.g. "/gridbridge/intake"
  absl::Time time;     // when the change was committed
  std::string content_type = kProtobufContentType;
};

using KafkaHeaders = std::vector<std::pair<std::string, std::string>>;

// The headers for `event`, ce_time in RFC 3339 UTC with microseconds.
KafkaHeaders ToKafkaHeaders(const CloudEvent& event);

// The same headers as views of the attributes (which must outlive them),
// for writers that encode them straight into an outbox frame;
// `time_text` is EventTimeText(time).
using HeaderView = std::pair<std::string_view, std::string_view>;
std::array<HeaderView, 6> CloudEventHeaderViews(std::string_view id, std::string_view type,
                                                std::string_view source, std::string_view time_text,
                                                std::string_view content_type);

// ce_time's text for `t`. The events of one commit share their time, so
// the text is kept per thread: the reference is valid until this thread's
// next call.
const std::string& EventTimeText(absl::Time t);

// Reads the attributes back. INVALID_ARGUMENT naming the first missing or
// malformed header; unknown extra headers are ignored.
absl::StatusOr<CloudEvent> FromKafkaHeaders(const KafkaHeaders& headers);

// A fresh random UUID v4, for event ids.
std::string NewUuid();

}  // namespace gridbridge::platform
