// GridTransaction against a real redis-server: atomic state + outbox,
// idempotent retries, optimistic version guards.
#include "grid_transaction.h"

#include "gtest/gtest.h"
#include "redis_keys.h"
#include "stack.h"

namespace gridbridge::platform {
namespace {

class GridTransactionTest : public ::testing::Test {
 protected:
  absl::StatusOr<GridTransaction::Outcome> Run(const GridTransaction& txn) {
    auto built = txn.Build();
    if (!built.ok()) return built.status();
    auto reply = redis_.Eval(GridTransaction::Script(), built->first, built->second);
    if (!reply.ok()) return reply.status();
    return GridTransaction::ParseReply(*reply);
  }

  testing::RedisServer server_;
  RedisClient redis_{*RedisOptionsFromAddr(server_.addr())};
  GridKeys keys_{"svc", "g1"};
};

TEST_F(GridTransactionTest, CommitsStateCountersAndOutboxTogether) {
  GridTransaction txn(keys_.Outbox(), keys_.Key("req", "a"), "response-a");
  txn.ExpectVersion(keys_.Key("rec", "x"), 0)
      .PutRecord(keys_.Key("rec", "x"), 1, "payload-1")
      .ZAdd(keys_.Key("recent"), 1649642400, "x")
      .HashIncrement(keys_.Key("counts"), "residents", 1)
      .Publish({"topic", "x", "event-bytes", {{"ce_id", "e1"}}});
  auto out = Run(txn);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->kind, GridTransaction::Outcome::Kind::kCommitted);
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "x"), "p"})->str, "payload-1");
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("counts"), "residents"})->str, "1");
  EXPECT_EQ(redis_.Command({"ZSCORE", keys_.Key("recent"), "x"})->str, "1649642400");
  EXPECT_EQ(redis_.Command({"XLEN", keys_.Outbox()})->integer, 1);
  EXPECT_EQ(redis_.Command({"GET", keys_.Key("req", "a")})->str, "response-a");
}

TEST_F(GridTransactionTest, RetryWithTheSameKeyReturnsTheFirstResponseAndChangesNothing) {
  GridTransaction first(keys_.Outbox(), keys_.Key("req", "a"), "first");
  first.HashIncrement(keys_.Key("counts"), "n", 1).Publish({"t", "k", "v", {}});
  ASSERT_TRUE(Run(first).ok());
  GridTransaction retry(keys_.Outbox(), keys_.Key("req", "a"), "second");
  retry.HashIncrement(keys_.Key("counts"), "n", 1).Publish({"t", "k", "v", {}});
  auto out = Run(retry);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->kind, GridTransaction::Outcome::Kind::kDuplicate);
  EXPECT_EQ(out->prior_response, "first");
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("counts"), "n"})->str, "1");
  EXPECT_EQ(redis_.Command({"XLEN", keys_.Outbox()})->integer, 1);
}

TEST_F(GridTransactionTest, StaleVersionIsAConflictAndWritesNothing) {
  GridTransaction create(keys_.Outbox(), "", "");
  create.PutRecord(keys_.Key("rec", "x"), 1, "v1");
  ASSERT_TRUE(Run(create).ok());
  GridTransaction stale(keys_.Outbox(), keys_.Key("req", "b"), "r");
  stale.ExpectVersion(keys_.Key("rec", "x"), 0).PutRecord(keys_.Key("rec", "x"), 1, "other");
  auto out = Run(stale);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->kind, GridTransaction::Outcome::Kind::kConflict);
  EXPECT_EQ(out->conflict_key, keys_.Key("rec", "x"));
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "x"), "p"})->str, "v1");
  EXPECT_TRUE(redis_.Command({"GET", keys_.Key("req", "b")})->is_nil())
      << "a conflict is not remembered";
}

TEST_F(GridTransactionTest, KeysOfTwoGridsAreRefused) {
  GridTransaction txn(keys_.Outbox(), "", "");
  txn.PutRecord(GridKeys("svc", "g2").Key("rec", "x"), 1, "p");
  EXPECT_EQ(txn.Build().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(GridTransactionTest, OldEntriesOfAWindowAreTrimmed) {
  GridTransaction txn(keys_.Outbox(), "", "");
  txn.ZAdd(keys_.Key("w"), 100, "old")
      .ZAdd(keys_.Key("w"), 200, "new")
      .ZRemoveBelow(keys_.Key("w"), 150);
  ASSERT_TRUE(Run(txn).ok());
  EXPECT_EQ(redis_.Command({"ZCARD", keys_.Key("w")})->integer, 1);
}

}  // namespace
}  // namespace gridbridge::platform
