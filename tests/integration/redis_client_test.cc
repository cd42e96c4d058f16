// RedisClient against a real redis-server.
#include "redis_client.h"

#include <atomic>
#include <thread>

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

// A script is loaded before its first batch, so that no call of a fresh
// Redis fails with NOSCRIPT (and none runs twice when others load it).
TEST(RedisClient, AScriptIsLoadedBeforeItsFirstBatch) {
  RedisServer server;
  RedisClient redis(Options(server));
  RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  auto batch = redis.EvalBatch(script, {{{"k"}, {"1"}}, {{"k"}, {"2"}}, {{"k"}, {"3"}}});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ((*batch)[2].integer, 6);
  auto stats = redis.Command({"INFO", "commandstats"});
  ASSERT_TRUE(stats.ok());
  EXPECT_NE(stats->str.find("cmdstat_evalsha:calls=3,"), std::string::npos) << stats->str;
  EXPECT_EQ(stats->str.find("NOSCRIPT"), std::string::npos);
  auto errors = redis.Command({"INFO", "errorstats"});
  ASSERT_TRUE(errors.ok());
  EXPECT_EQ(errors->str.find("errorstat_NOSCRIPT"), std::string::npos) << errors->str;
}

// The script cache empties and fills again in the middle of a batch (here
// the batch does it itself, as a SCRIPT FLUSH and another client's SCRIPT
// LOAD would): the calls in between failed with NOSCRIPT and run again;
// those after it ran and must not run twice.
TEST(RedisClient, ACallThatRanBeforeAReloadIsNotRunAgain) {
  RedisServer server;
  RedisClient redis(Options(server));
  RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  auto replies = redis.EvalCommands(script, {{"SCRIPT", "FLUSH"},
                                             {"EVALSHA", script.sha1, "1", "k", "1"},
                                             {"SCRIPT", "LOAD", script.source},
                                             {"EVALSHA", script.sha1, "1", "k", "2"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_EQ((*replies)[3].integer, 2);  // ran first
  EXPECT_EQ((*replies)[1].integer, 3);  // ran again, after it
  auto total = redis.Command({"GET", "k"});
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->str, "3") << "each call ran exactly once";
}

// Many callers share few connections and so share round trips: each must
// get exactly its own replies, in its own order.
TEST(RedisClient, ConcurrentCallersGetTheirOwnRepliesInOrder) {
  RedisServer server;
  RedisClient redis(Options(server));  // 2 connections for 24 callers
  constexpr int kCallers = 24, kRounds = 300;
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      const std::string key = "caller:" + std::to_string(c);
      for (int r = 1; r <= kRounds; ++r) {
        // A varying number of commands per call, ending with a read-back.
        std::vector<RedisArgs> cmds;
        for (int k = 0; k < 1 + (r + c) % 4; ++k) cmds.push_back({"INCR", key});
        cmds.push_back({"GET", key});
        auto replies = redis.Pipeline(cmds);
        if (!replies.ok()) {
          ++failures;
          continue;
        }
        const long long last = (*replies)[cmds.size() - 2].integer;
        for (size_t k = 0; k + 1 < cmds.size(); ++k) {
          if ((*replies)[k].integer != last - static_cast<long long>(cmds.size() - 2 - k)) {
            ++mismatches;
          }
        }
        if (replies->back().str != std::to_string(last)) ++mismatches;
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  long long total = 0;
  for (int c = 0; c < kCallers; ++c) {
    for (int r = 1; r <= kRounds; ++r) total += 1 + (r + c) % 4;
    auto v = redis.Command({"GET", "caller:" + std::to_string(c)});
    ASSERT_TRUE(v.ok());
    total -= std::stoll(v->str);
  }
  EXPECT_EQ(total, 0) << "every INCR ran exactly once";
}

// When Redis goes away mid-load, every waiting caller gets UNAVAILABLE
// (none hangs), and the client recovers.
TEST(RedisClient, EveryWaitingCallerFailsFastWhenRedisDies) {
  RedisServer server;
  RedisClient redis(Options(server));
  std::atomic<bool> stop{false};
  std::atomic<int> unavailable{0}, other{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 16; ++c) {
    callers.emplace_back([&] {
      while (!stop) {
        auto r = redis.Pipeline({{"INCR", "n"}, {"INCR", "n"}});
        if (r.ok()) continue;
        (r.status().code() == absl::StatusCode::kUnavailable ? unavailable : other)++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server.Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& t : callers) t.join();  // would hang if a waiter were forgotten
  EXPECT_GT(unavailable.load(), 0);
  EXPECT_EQ(other.load(), 0);
  server.Start();
  absl::Status up = absl::UnknownError("never tried");
  for (int i = 0; i < 100 && !up.ok(); ++i) {
    up = redis.Ping();
    if (!up.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(up.ok()) << up;
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

// A session keeps one connection across its round trips, while other
// callers go on using the rest of the pool; if its connection is lost it
// fails instead of going on over a new one (which would have forgotten
// what the session WATCHed), and the pool recovers afterwards.
TEST(RedisClient, ASessionKeepsItsConnectionAndFailsRatherThanReconnect) {
  RedisServer server;
  RedisClient redis(Options(server));
  RedisClient admin(Options(server));
  absl::Status status = redis.WithSession([&](RedisClient::Session& session) -> absl::Status {
    auto id = session.Pipeline({{"CLIENT", "ID"}});
    if (!id.ok()) return id.status();
    // Another caller meanwhile gets the other connection.
    auto other = redis.Command({"CLIENT", "ID"});
    EXPECT_TRUE(other.ok());
    EXPECT_NE(other->integer, (*id)[0].integer);
    auto again = session.Pipeline({{"CLIENT", "ID"}});
    if (!again.ok()) return again.status();
    EXPECT_EQ((*again)[0].integer, (*id)[0].integer);
    // Cut the session's connection: the next round trip fails, and so do
    // the ones after it (no new connection is made for the session).
    EXPECT_TRUE(admin.Command({"CLIENT", "KILL", "ID", std::to_string((*id)[0].integer)}).ok());
    EXPECT_EQ(session.Pipeline({{"PING"}}).status().code(), absl::StatusCode::kUnavailable);
    auto after = session.Pipeline({{"PING"}});
    EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
    return after.status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  absl::Status up = absl::UnknownError("never tried");
  for (int i = 0; i < 100 && !up.ok(); ++i) {
    up = redis.Ping();
    if (!up.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(up.ok()) << up;
}

}  // namespace
}  // namespace gridbridge::platform
