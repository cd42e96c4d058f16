#include "topic_catalog.h"

#include <fstream>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

TEST(TopicCatalog, ShippedCatalogIsValidAndNamesRealMessages) {
  // Every proto of the repository, from the build's descriptor set.
  google::protobuf::FileDescriptorSet files;
  std::ifstream in(GRIDBRIDGE_DESCRIPTOR_SET, std::ios::binary);
  ASSERT_TRUE(files.ParseFromIstream(&in)) << GRIDBRIDGE_DESCRIPTOR_SET;
  google::protobuf::DescriptorPool pool;
  for (const auto& file : files.file()) ASSERT_NE(pool.BuildFile(file), nullptr) << file.name();
  auto topics = LoadTopicCatalog(std::string(GRIDBRIDGE_SOURCE_DIR) + "/catalog/topics.json");
  ASSERT_TRUE(topics.ok()) << topics.status();
  ASSERT_FALSE(topics->empty());
  for (const auto& t : *topics) {
    if (t.value.rfind("gridbridge.", 0) == 0) {
      EXPECT_NE(pool.FindMessageTypeByName(t.value), nullptr)
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
