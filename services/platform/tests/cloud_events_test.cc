#include "cloud_events.h"

#include <set>

#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

TEST(CloudEvents, HeadersRoundTrip) {
  CloudEvent e{"id-1", "gridbridge.testing.v1.ProbeRecorded", "/gridbridge/probe",
               absl::FromUnixMicros(1700000000123456)};
  KafkaHeaders h = ToKafkaHeaders(e);
  auto back = FromKafkaHeaders(h);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->source, e.source);
  EXPECT_EQ(back->time, e.time);
  EXPECT_EQ(back->content_type, "application/x-protobuf");
}

TEST(CloudEvents, BinaryModeHeaderNames) {
  KafkaHeaders h = ToKafkaHeaders({"i", "t", "s", absl::UnixEpoch()});
  std::set<std::string> names;
  for (const auto& [k, v] : h) names.insert(k);
  EXPECT_EQ(names, (std::set<std::string>{"ce_specversion", "ce_id", "ce_source", "ce_type",
                                          "ce_time", "content-type"}));
  for (const auto& [k, v] : h) {
    if (k == "ce_time") {
      EXPECT_EQ(v, "1970-01-01T00:00:00.000000Z");
    }
  }
}

TEST(CloudEvents, MissingHeaderIsNamed) {
  KafkaHeaders h = ToKafkaHeaders({"i", "t", "s", absl::UnixEpoch()});
  h.erase(h.begin() + 1);  // ce_id
  auto back = FromKafkaHeaders(h);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("ce_id"), std::string::npos);
  EXPECT_FALSE(FromKafkaHeaders({}).ok());
}

TEST(CloudEvents, UuidsAreV4AndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewUuid();
    ASSERT_EQ(id.size(), 36u);
    for (size_t c = 0; c < id.size(); ++c) {
      if (c == 8 || c == 13 || c == 18 || c == 23) {
        EXPECT_EQ(id[c], '-') << id;
      } else {
        EXPECT_NE(std::string("0123456789abcdef").find(id[c]), std::string::npos) << id;
      }
    }
    EXPECT_EQ(id[14], '4');                                          // version 4
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);  // RFC 4122 variant
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace gridbridge::platform
