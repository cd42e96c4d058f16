#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "gridbridge/common/v1/admin_tree.pb.h"

namespace gridbridge::platform {

// The administrative tree (district > street > community > grid, county >
// town > village > villager group), loaded once from reference data and
// read-only afterwards: safe to share between threads without locking.
class AdminTree {
 public:
  // Parses {"nodes":[{"id","level","name","parent"}...]}. Levels are the
  // lower-case names ("district", "grid", "villager_group", ...).
  // INVALID_ARGUMENT naming the node on a duplicate id, unknown level,
  // missing parent, or a parent that is not exactly one level up.
  static absl::StatusOr<AdminTree> Parse(const std::string& json_text);
  static absl::StatusOr<AdminTree> Load(const std::string& path);

  // nullptr if unknown.
  const common::v1::AdminNode* Find(std::string_view id) const;
  // True if `ancestor_id` is `node_id` itself or above it. False if either
  // is unknown.
  bool Contains(std::string_view ancestor_id, std::string_view node_id) const;
  // Ids of the leaves where people live and events are keyed: grids and
  // villages (a village's groups share its state). In file order.
  const std::vector<std::string>& UnitIds() const { return unit_ids_; }
  size_t size() const { return nodes_.size(); }
  const std::vector<common::v1::AdminNode>& nodes() const { return nodes_; }

 private:
  std::vector<common::v1::AdminNode> nodes_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::string> unit_ids_;
};

// "grid" -> ADMIN_LEVEL_GRID etc.; UNSPECIFIED if unknown.
common::v1::AdminLevel AdminLevelFromName(std::string_view name);

}  // namespace gridbridge::platform
