#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace RdKafka {
class Conf;
}

namespace gridbridge::platform {

// Builds a librdkafka global config from `properties`, translating the
// first rejected property into INVALID_ARGUMENT naming it. The one place
// where librdkafka configuration errors become a Status. The threads of a
// client made from it allocate from the background threads' arena
// (ShareBackgroundArenaWithKafkaThreads). Nagle's algorithm is off on its
// broker connections unless `properties` say otherwise (as Kafka's Java
// client does): librdkafka sends a request per partition, and with it on
// each request after the first waited for an answer or an ACK from the
// broker (against the local broker answering 5 ms late, 200 records over
// 6 partitions took ~22 ms instead of ~18 to deliver: docs/performance.md,
// screening, session 23).
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const std::map<std::string, std::string>& properties);

}  // namespace gridbridge::platform
