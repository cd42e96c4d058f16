#include "topic_catalog.h"

#include "google/protobuf/descriptor.h"
#include "gridbridge/testing/v1/echo.pb.h"
#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

TEST(TopicCatalog, ShippedCatalogIsValidAndNamesRealMessages) {
  // Force the echo protos' registration into the generated pool.
  testing::v1::ProbeRecorded probe;
  auto topics = LoadTopicCatalog(std::string(GRIDBRIDGE_SOURCE_DIR) + "/catalog/topics.json");
  ASSERT_TRUE(topics.ok()) << topics.status();
  ASSERT_FALSE(topics->empty());
  for (const auto& t : *topics) {
    if (t.value.rfind("gridbridge.", 0) == 0) {
      EXPECT_NE(google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(t.value),
                nullptr)
          << t.name << " names unknown message " << t.value;
    }
  }
}

TEST(TopicCatalog, RejectsBadEntriesNamingTheTopic) {
  auto bad = ParseTopicCatalog(R"({"topics":[{"name":"gridbridge.x.v1","key":"k","value":"v",
    "partitions":0,"cleanup_policy":"delete","retention_ms":1,"producer":"p","consumers":[]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("gridbridge.x.v1"), std::string::npos);
  EXPECT_FALSE(ParseTopicCatalog(R"({"topics":[{"name":"gridbridge.x.v1","key":"k","value":"v",
    "partitions":1,"cleanup_policy":"shred","retention_ms":1,"producer":"p","consumers":[]}]})")
                   .ok());
  EXPECT_FALSE(ParseTopicCatalog(R"({"topics":[{"name":"other.x","key":"k","value":"v",
    "partitions":1,"cleanup_policy":"delete","retention_ms":1,"producer":"p","consumers":[]}]})")
                   .ok());
  EXPECT_FALSE(ParseTopicCatalog("[]").ok());
}

}  // namespace
}  // namespace gridbridge::platform
