#include "admin_tree.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace gridbridge::platform {

using common::v1::AdminLevel;
using common::v1::AdminNode;

namespace {

// The level a node's parent must have; UNSPECIFIED for roots.
AdminLevel ParentLevel(AdminLevel level) {
  switch (level) {
    case common::v1::ADMIN_LEVEL_STREET:
      return common::v1::ADMIN_LEVEL_DISTRICT;
    case common::v1::ADMIN_LEVEL_COMMUNITY:
      return common::v1::ADMIN_LEVEL_STREET;
    case common::v1::ADMIN_LEVEL_GRID:
      return common::v1::ADMIN_LEVEL_COMMUNITY;
    case common::v1::ADMIN_LEVEL_TOWN:
      return common::v1::ADMIN_LEVEL_COUNTY;
    case common::v1::ADMIN_LEVEL_VILLAGE:
      return common::v1::ADMIN_LEVEL_TOWN;
    case common::v1::ADMIN_LEVEL_VILLAGER_GROUP:
      return common::v1::ADMIN_LEVEL_VILLAGE;
    default:
      return common::v1::ADMIN_LEVEL_UNSPECIFIED;
  }
}

}  // namespace

AdminLevel AdminLevelFromName(std::string_view name) {
  static const std::pair<const char*, AdminLevel> kNames[] = {
      {"district", common::v1::ADMIN_LEVEL_DISTRICT},
      {"street", common::v1::ADMIN_LEVEL_STREET},
      {"community", common::v1::ADMIN_LEVEL_COMMUNITY},
      {"grid", common::v1::ADMIN_LEVEL_GRID},
      {"county", common::v1::ADMIN_LEVEL_COUNTY},
      {"town", common::v1::ADMIN_LEVEL_TOWN},
      {"village", common::v1::ADMIN_LEVEL_VILLAGE},
      {"villager_group", common::v1::ADMIN_LEVEL_VILLAGER_GROUP},
  };
  for (const auto& [n, level] : kNames) {
    if (name == n) return level;
  }
  return common::v1::ADMIN_LEVEL_UNSPECIFIED;
}

absl::StatusOr<AdminTree> AdminTree::Parse(const std::string& text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.contains("nodes") || !doc["nodes"].is_array()) {
    return absl::InvalidArgumentError("admin tree: expected {\"nodes\": [...]}");
  }
  AdminTree tree;
  for (const auto& j : doc["nodes"]) {
    if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) {
      return absl::InvalidArgumentError("admin tree: a node has no string id");
    }
    AdminNode node;
    node.set_id(j["id"].get<std::string>());
    const std::string where = "admin tree: node " + node.id() + ": ";
    node.set_level(AdminLevelFromName(j.value("level", "")));
    if (node.level() == common::v1::ADMIN_LEVEL_UNSPECIFIED) {
      return absl::InvalidArgumentError(where + "unknown level");
    }
    node.set_name(j.value("name", ""));
    node.set_parent_id(j.value("parent", ""));
    AdminLevel want_parent = ParentLevel(node.level());
    if (want_parent == common::v1::ADMIN_LEVEL_UNSPECIFIED) {
      if (!node.parent_id().empty())
        return absl::InvalidArgumentError(where + "a root has no parent");
    } else {
      const AdminNode* parent = tree.Find(node.parent_id());
      if (parent == nullptr) {
        return absl::InvalidArgumentError(where + "parent '" + node.parent_id() +
                                          "' is unknown (parents must come first)");
      }
      if (parent->level() != want_parent) {
        return absl::InvalidArgumentError(where + "parent is not one level up");
      }
    }
    if (!tree.index_.emplace(node.id(), tree.nodes_.size()).second) {
      return absl::InvalidArgumentError(where + "duplicate id");
    }
    if (node.level() == common::v1::ADMIN_LEVEL_GRID ||
        node.level() == common::v1::ADMIN_LEVEL_VILLAGE) {
      tree.unit_ids_.push_back(node.id());
    }
    tree.nodes_.push_back(std::move(node));
  }
  return tree;
}

absl::StatusOr<AdminTree> AdminTree::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("admin tree: cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Parse(buffer.str());
}

const AdminNode* AdminTree::Find(std::string_view id) const {
  auto it = index_.find(std::string(id));
  return it == index_.end() ? nullptr : &nodes_[it->second];
}

bool AdminTree::Contains(std::string_view ancestor_id, std::string_view node_id) const {
  if (Find(ancestor_id) == nullptr) return false;
  const AdminNode* node = Find(node_id);
  while (node != nullptr) {
    if (node->id() == ancestor_id) return true;
    node = node->parent_id().empty() ? nullptr : Find(node->parent_id());
  }
  return false;
}

}  // namespace gridbridge::platform
