#include "admin_tree.h"

#include <map>

#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

constexpr char kSmallTree[] = R"({"nodes":[
  {"id":"d1","level":"district","name":"D"},
  {"id":"s1","level":"street","name":"S","parent":"d1"},
  {"id":"c1","level":"community","name":"C1","parent":"s1"},
  {"id":"c2","level":"community","name":"C2","parent":"s1"},
  {"id":"g1","level":"grid","name":"G1","parent":"c1"},
  {"id":"g2","level":"grid","name":"G2","parent":"c2"},
  {"id":"k1","level":"county","name":"K"},
  {"id":"t1","level":"town","name":"T","parent":"k1"},
  {"id":"v1","level":"village","name":"V","parent":"t1"},
  {"id":"z1","level":"villager_group","name":"Z","parent":"v1"}]})";

TEST(AdminTree, ContainsWalksUpTheTree) {
  auto tree = AdminTree::Parse(kSmallTree);
  ASSERT_TRUE(tree.ok()) << tree.status();
  EXPECT_TRUE(tree->Contains("d1", "g2"));
  EXPECT_TRUE(tree->Contains("c1", "g1"));
  EXPECT_TRUE(tree->Contains("g1", "g1"));
  EXPECT_FALSE(tree->Contains("c1", "g2"));
  EXPECT_FALSE(tree->Contains("g1", "c1"));
  EXPECT_FALSE(tree->Contains("d1", "v1"));
  EXPECT_TRUE(tree->Contains("k1", "z1"));
  EXPECT_FALSE(tree->Contains("nope", "g1"));
  EXPECT_FALSE(tree->Contains("d1", "nope"));
}

TEST(AdminTree, UnitsAreGridsAndVillages) {
  auto tree = AdminTree::Parse(kSmallTree);
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ(tree->UnitIds(), (std::vector<std::string>{"g1", "g2", "v1"}));
}

TEST(AdminTree, RejectsParentAtWrongLevel) {
  auto tree = AdminTree::Parse(R"({"nodes":[
    {"id":"d1","level":"district","name":"D"},
    {"id":"g1","level":"grid","name":"G","parent":"d1"}]})");
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tree.status().message().find("g1"), std::string::npos);
}

TEST(AdminTree, RejectsDuplicateUnknownLevelAndMissingParent) {
  EXPECT_FALSE(
      AdminTree::Parse(R"({"nodes":[{"id":"d","level":"district"},{"id":"d","level":"district"}]})")
          .ok());
  EXPECT_FALSE(AdminTree::Parse(R"({"nodes":[{"id":"d","level":"province"}]})").ok());
  EXPECT_FALSE(AdminTree::Parse(R"({"nodes":[{"id":"s","level":"street","parent":"d"}]})").ok());
  EXPECT_FALSE(AdminTree::Parse("not json").ok());
}

TEST(AdminTree, ShippedDataIsShapedLikeTheSource) {
  auto tree = AdminTree::Load(std::string(GRIDBRIDGE_SOURCE_DIR) + "/data/admin-tree.json");
  ASSERT_TRUE(tree.ok()) << tree.status();
  std::map<common::v1::AdminLevel, int> count;
  for (const auto& n : tree->nodes()) ++count[n.level()];
  EXPECT_EQ(count[common::v1::ADMIN_LEVEL_DISTRICT], 1);
  EXPECT_EQ(count[common::v1::ADMIN_LEVEL_COMMUNITY], 17);
  EXPECT_EQ(count[common::v1::ADMIN_LEVEL_GRID], 194);
  EXPECT_EQ(count[common::v1::ADMIN_LEVEL_COUNTY], 1);
  EXPECT_GT(count[common::v1::ADMIN_LEVEL_TOWN], 1);
  EXPECT_GT(count[common::v1::ADMIN_LEVEL_VILLAGE], count[common::v1::ADMIN_LEVEL_TOWN]);
  EXPECT_GT(count[common::v1::ADMIN_LEVEL_VILLAGER_GROUP], count[common::v1::ADMIN_LEVEL_VILLAGE]);
}

}  // namespace
}  // namespace gridbridge::platform
