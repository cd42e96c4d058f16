#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gridbridge::platform {

// CloudEvents 1.0 attributes in Kafka binary mode: each attribute is a
// record header "ce_<name>", the payload is the record value, and the
// payload's media type is the "content-type" header.
struct CloudEvent {
  std::string id;      // unique per event; consumers dedupe on it
  std::string type;    // the payload's full proto name, e.g. gridbridge.testing.v1.ProbeRecorded
  std::string source;  // the producing service, e.g. "/gridbridge/intake"
  absl::Time time;     // when the change was committed
  std::string content_type = "application/x-protobuf";
};

using KafkaHeaders = std::vector<std::pair<std::string, std::string>>;

// The headers for `event`, ce_time in RFC 3339 UTC with microseconds.
KafkaHeaders ToKafkaHeaders(const CloudEvent& event);

// Reads the attributes back. INVALID_ARGUMENT naming the first missing or
// malformed header; unknown extra headers are ignored.
absl::StatusOr<CloudEvent> FromKafkaHeaders(const KafkaHeaders& headers);

// A fresh random UUID v4 (from OpenSSL's CSPRNG), for event ids.
std::string NewUuid();

}  // namespace gridbridge::platform
