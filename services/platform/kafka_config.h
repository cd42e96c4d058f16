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
// (ShareBackgroundArenaWithKafkaThreads).
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const std::map<std::string, std::string>& properties);

}  // namespace gridbridge::platform
