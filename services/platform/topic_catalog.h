#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gridbridge::platform {

// One topic of the catalog (catalog/topics.json). The catalog is the single
// source for the local broker, the k8s topic manifests and docs/topics.md.
struct TopicSpec {
  std::string name;   // gridbridge.<area>.<entity>.v<N>
  std::string key;    // what the record key is, e.g. "grid_id"
  std::string value;  // full proto message name, or "bytes" (DLQ)
  int partitions = 0;
  std::string cleanup_policy;  // "delete" or "compact"
  long long retention_ms = 0;  // -1 for infinite
  std::string producer;
  std::vector<std::string> consumers;
  std::string description;
};

// Parses and validates the catalog JSON text. INVALID_ARGUMENT naming the
// topic and field on any problem (duplicate name, partitions out of 1..64,
// unknown cleanup policy, ...).
absl::StatusOr<std::vector<TopicSpec>> ParseTopicCatalog(const std::string& json_text);

// Reads and parses a catalog file. NOT_FOUND if the file cannot be read.
absl::StatusOr<std::vector<TopicSpec>> LoadTopicCatalog(const std::string& path);

}  // namespace gridbridge::platform
