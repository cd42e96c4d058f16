#include "cloud_events.h"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <stdexcept>

#include "absl/status/status.h"

namespace gridbridge::platform {
namespace {

constexpr char kTimeFormat[] = "%Y-%m-%dT%H:%M:%E6SZ";

const std::string* Find(const KafkaHeaders& headers, const std::string& name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace

KafkaHeaders ToKafkaHeaders(const CloudEvent& e) {
  return {{"ce_specversion", "1.0"},
          {"ce_id", e.id},
          {"ce_source", e.source},
          {"ce_type", e.type},
          {"ce_time", absl::FormatTime(kTimeFormat, e.time, absl::UTCTimeZone())},
          {"content-type", e.content_type}};
}

absl::StatusOr<CloudEvent> FromKafkaHeaders(const KafkaHeaders& headers) {
  const std::string* spec = Find(headers, "ce_specversion");
  if (spec == nullptr || *spec != "1.0") {
    return absl::InvalidArgumentError("header ce_specversion must be 1.0");
  }
  CloudEvent e;
  struct Field {
    const char* header;
    std::string* target;
  };
  for (Field f : {Field{"ce_id", &e.id}, Field{"ce_source", &e.source}, Field{"ce_type", &e.type},
                  Field{"content-type", &e.content_type}}) {
    const std::string* value = Find(headers, f.header);
    if (value == nullptr || value->empty()) {
      return absl::InvalidArgumentError(std::string("header ") + f.header + " is missing or empty");
    }
    *f.target = *value;
  }
  const std::string* time = Find(headers, "ce_time");
  std::string err;
  if (time == nullptr || !absl::ParseTime(absl::RFC3339_full, *time, &e.time, &err)) {
    return absl::InvalidArgumentError("header ce_time is missing or not RFC 3339");
  }
  return e;
}

std::string NewUuid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");  // the CSPRNG is broken: not recoverable
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

}  // namespace gridbridge::platform
