#include "topic_catalog.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace gridbridge::platform {
namespace {

absl::Status Bad(const std::string& topic, const std::string& what) {
  return absl::InvalidArgumentError("topic catalog: " + topic + ": " + what);
}

}  // namespace

absl::StatusOr<std::vector<TopicSpec>> ParseTopicCatalog(const std::string& text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("topics") ||
      !doc["topics"].is_array()) {
    return absl::InvalidArgumentError("topic catalog: expected {\"topics\": [...]}");
  }
  std::vector<TopicSpec> out;
  std::set<std::string> seen;
  for (const auto& t : doc["topics"]) {
    TopicSpec s;
    try {
      s.name = t.at("name").get<std::string>();
      s.key = t.at("key").get<std::string>();
      s.value = t.at("value").get<std::string>();
      s.partitions = t.at("partitions").get<int>();
      s.cleanup_policy = t.at("cleanup_policy").get<std::string>();
      s.retention_ms = t.at("retention_ms").get<long long>();
      s.producer = t.at("producer").get<std::string>();
      s.consumers = t.at("consumers").get<std::vector<std::string>>();
      s.description = t.value("description", "");
    } catch (const nlohmann::json::exception& e) {
      return Bad(t.value("name", "<unnamed>"), e.what());
    }
    if (s.name.rfind("gridbridge.", 0) != 0)
      return Bad(s.name, "name must start with 'gridbridge.'");
    if (!seen.insert(s.name).second) return Bad(s.name, "duplicate name");
    if (s.partitions < 1 || s.partitions > 64) return Bad(s.name, "partitions must be in 1..64");
    if (s.cleanup_policy != "delete" && s.cleanup_policy != "compact") {
      return Bad(s.name, "cleanup_policy must be 'delete' or 'compact'");
    }
    if (s.retention_ms == 0 || s.retention_ms < -1)
      return Bad(s.name, "retention_ms must be positive or -1");
    if (s.key.empty() || s.value.empty() || s.producer.empty()) {
      return Bad(s.name, "key, value and producer are required");
    }
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<TopicSpec>> LoadTopicCatalog(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("topic catalog: cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseTopicCatalog(buffer.str());
}

}  // namespace gridbridge::platform
