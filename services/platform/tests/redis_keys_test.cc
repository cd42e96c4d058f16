#include "redis_keys.h"

#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

TEST(GridKeys, EveryKeyOfAGridSharesItsHashTag) {
  GridKeys k("intake", "431102001001g07");
  EXPECT_EQ(k.tag(), "{grid:431102001001g07}");
  EXPECT_EQ(k.Key("resident", "r1"), "{grid:431102001001g07}:intake:resident:r1");
  EXPECT_EQ(k.Outbox(), "{grid:431102001001g07}:intake:outbox");
  int slot = ClusterSlot(k.Outbox());
  EXPECT_EQ(ClusterSlot(k.Key("counts")), slot);
  EXPECT_EQ(ClusterSlot(k.OutboxLease()), slot);
  EXPECT_EQ(ClusterSlot(GridKeys("relief", "431102001001g07").Key("x")), slot);
}

TEST(GridKeys, SlotMatchesRedisClusterReference) {
  // Values from the Redis Cluster specification / CLUSTER KEYSLOT.
  EXPECT_EQ(ClusterSlot("123456789"), 12739);
  EXPECT_EQ(ClusterSlot("foo"), 12182);
  EXPECT_EQ(ClusterSlot("{user1000}.following"), ClusterSlot("user1000"));
  EXPECT_EQ(HashTagOf("foo{}{bar}"), "foo{}{bar}");
  EXPECT_EQ(HashTagOf("foo{{bar}}zap"), "{bar");
}

}  // namespace
}  // namespace gridbridge::platform
