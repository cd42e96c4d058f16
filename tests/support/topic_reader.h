#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "kafka_consumer.h"

namespace gridbridge::testing {

// A record as read back, with its headers (a consumer's ConsumedRecord
// leaves them out).
struct TopicRecord : platform::ConsumedRecord {
  platform::KafkaHeaders headers;
};

// Reads every record of `topic` from the beginning up to the current end of
// every partition, without a consumer group (no 3 s join). Gives up after
// `timeout`, returning what it has.
std::vector<TopicRecord> ReadWholeTopic(
    const std::string& bootstrap, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The value of header `name`, or "" if absent.
std::string HeaderValue(const TopicRecord& record, const std::string& name);

}  // namespace gridbridge::testing
