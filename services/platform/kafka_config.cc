#include "kafka_config.h"

#include <librdkafka/rdkafkacpp.h>

#include "absl/status/status.h"
#include "kafka_thread_arena.h"

namespace gridbridge::platform {

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const std::map<std::string, std::string>& properties) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  ShareBackgroundArenaWithKafkaThreads(conf->c_ptr_global());
  std::string err;
  if (conf->set("socket.nagle.disable", "true", err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError("kafka property socket.nagle.disable: " + err);
  }
  for (const auto& [key, value] : properties) {
    if (conf->set(key, value, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError("kafka property " + key + "=" + value + ": " + err);
    }
  }
  return conf;
}

}  // namespace gridbridge::platform
