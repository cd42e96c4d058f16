#include "kafka_config.h"

#include <librdkafka/rdkafkacpp.h>

#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

std::string Get(const RdKafka::Conf& conf, const std::string& name) {
  std::string value;
  EXPECT_EQ(conf.get(name, value), RdKafka::Conf::CONF_OK) << name;
  return value;
}

TEST(MakeKafkaConf, NagleIsOffByDefault) {
  auto conf = MakeKafkaConf({{"bootstrap.servers", "127.0.0.1:9"}});
  ASSERT_TRUE(conf.ok()) << conf.status();
  EXPECT_EQ(Get(**conf, "socket.nagle.disable"), "true");
  EXPECT_EQ(Get(**conf, "bootstrap.servers"), "127.0.0.1:9");
}

TEST(MakeKafkaConf, PropertiesWinOverTheDefaults) {
  auto conf = MakeKafkaConf({{"socket.nagle.disable", "false"}});
  ASSERT_TRUE(conf.ok()) << conf.status();
  EXPECT_EQ(Get(**conf, "socket.nagle.disable"), "false");
}

TEST(MakeKafkaConf, ARejectedPropertyIsNamed) {
  auto conf = MakeKafkaConf({{"no.such.property", "1"}});
  ASSERT_FALSE(conf.ok());
  EXPECT_EQ(conf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(conf.status().message().find("no.such.property"), std::string::npos);
}

}  // namespace
}  // namespace gridbridge::platform
