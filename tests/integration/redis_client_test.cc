// RedisClient against a real redis-server.
#include "redis_client.h"

#include "gtest/gtest.h"
#include "stack.h"

namespace gridbridge::platform {
namespace {

using testing::RedisServer;

RedisOptions Options(const RedisServer& server) {
  RedisOptions o;
  o.port = server.port();
  o.pool_size = 2;
  o.backoff_min = std::chrono::milliseconds(10);
  o.backoff_max = std::chrono::milliseconds(50);
  return o;
}

TEST(RedisClient, MissingKeyIsNilAndErrorsAreValues) {
  RedisServer server;
  RedisClient redis(Options(server));
  auto missing = redis.Command({"GET", "nope"});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_nil());
  ASSERT_TRUE(redis.Command({"SET", "s", "v"}).ok());
  auto wrong = redis.Command({"INCR", "s"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->is_error());
}

TEST(RedisClient, PipelineAnswersInOrder) {
  RedisServer server;
  RedisClient redis(Options(server));
  std::vector<RedisArgs> cmds;
  for (int i = 0; i < 1000; ++i) cmds.push_back({"INCR", "counter"});
  auto replies = redis.Pipeline(cmds);
  ASSERT_TRUE(replies.ok());
  ASSERT_EQ(replies->size(), 1000u);
  EXPECT_EQ(replies->front().integer, 1);
  EXPECT_EQ(replies->back().integer, 1000);
}

TEST(RedisClient, ScriptsSurviveAScriptCacheFlush) {
  RedisServer server;
  RedisClient redis(Options(server));
  RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  auto first = redis.Eval(script, {"k"}, {"5"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->integer, 5);
  ASSERT_TRUE(redis.Command({"SCRIPT", "FLUSH"}).ok());
  auto batch = redis.EvalBatch(script, {{{"k"}, {"1"}}, {{"k"}, {"2"}}});
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ((*batch)[1].integer, 8);  // 5 + 1 + 2: each call ran exactly once
}

TEST(RedisClient, UnavailableWhileDownThenReconnects) {
  RedisServer server;
  RedisClient redis(Options(server));
  ASSERT_TRUE(redis.Ping().ok());
  server.Stop();
  auto down = redis.Command({"PING"});
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  server.Start();
  absl::Status up = absl::UnknownError("never tried");
  for (int i = 0; i < 100 && !up.ok(); ++i) {
    up = redis.Ping();
    if (!up.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(up.ok()) << up;
}

}  // namespace
}  // namespace gridbridge::platform
