#include "gtest/gtest.h"
#include "kafka_consumer.h"

namespace gridbridge::platform {
namespace {

TEST(ConsumerProperties, FetchWaitFollowsTheOption) {
  ConsumerOptions options;
  EXPECT_EQ(ConsumerProperties(options).at("fetch.wait.max.ms"), "500");
  options.fetch_wait_ms = 10;
  EXPECT_EQ(ConsumerProperties(options).at("fetch.wait.max.ms"), "10");
}

TEST(ConsumerProperties, OffsetsAreStoredByTheConsumerNotByLibrdkafka) {
  auto props = ConsumerProperties(ConsumerOptions{});
  EXPECT_EQ(props.at("enable.auto.offset.store"), "false");
  EXPECT_EQ(props.at("heartbeat.interval.ms"), "1000");  // a sixth of the session timeout
}

TEST(ConsumerProperties, ExtraPropertiesComeLastAndWin) {
  ConsumerOptions options;
  options.fetch_wait_ms = 10;
  options.kafka.properties = {{"fetch.wait.max.ms", "250"}, {"security.protocol", "ssl"}};
  auto props = ConsumerProperties(options);
  EXPECT_EQ(props.at("fetch.wait.max.ms"), "250");
  EXPECT_EQ(props.at("security.protocol"), "ssl");
}

}  // namespace
}  // namespace gridbridge::platform
