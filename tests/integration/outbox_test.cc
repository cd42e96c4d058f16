// The durability rule, proven with real processes: the outbox probe commits
// events (state + outbox entry in one Lua script) and prints "committed" only
// after Redis answered - the moment an RPC would return OK. We then kill it,
// take the broker down, run two replicas, and check the topic.
//
// How we count: every event has a unique ce_id. "Lost" = an id printed as
// committed (or counted in Redis) that never reaches the topic: must be 0.
// "Duplicates" = records on the topic minus distinct ids: allowed only where
// a relay died or timed out between the broker's ack and the delete, since
// consumers dedupe on ce_id; reported as a test property.
#include <csignal>
#include <set>

#include "gtest/gtest.h"
#include "redis_client.h"
#include "stack.h"
#include "topic_reader.h"

namespace gridbridge::testing {
namespace {

constexpr char kTopic[] = "gridbridge.platform.probe.v1";

struct ProbeRun {
  std::set<std::string> committed;  // ids the probe printed as committed
  bool drained = false;
};

std::vector<std::string> ProbeArgs(const RedisServer& redis, const Broker& broker) {
  return {BinaryPath("tools/outbox-probe/gridbridge-outbox-probe"),
          "--redis_addr",
          redis.addr(),
          "--kafka_bootstrap",
          broker.bootstrap(),
          "--units",
          "8",
          "--lease_ms",
          "1500"};
}

// Reads lines until `stop(line, run)` says so or output ends.
void ReadProbe(Subprocess& probe, ProbeRun& run, const std::function<bool(const ProbeRun&)>& stop,
               std::chrono::seconds timeout = std::chrono::seconds(60)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!stop(run) && std::chrono::steady_clock::now() < deadline) {
    auto line = probe.ReadLine(std::chrono::milliseconds(500));
    if (!line) {
      if (!probe.running()) return;
      continue;
    }
    if (line->rfind("committed ", 0) == 0) run.committed.insert(line->substr(line->rfind(' ') + 1));
    if (*line == "drained") run.drained = true;
  }
}

long long RedisSum(const RedisServer& redis, const std::string& kind) {
  platform::RedisClient client(*platform::RedisOptionsFromAddr(redis.addr()));
  long long total = 0;
  for (int u = 0; u < 8; ++u) {
    std::string key = "{grid:probe-u" + std::to_string(u) + "}:probe:" + kind;
    auto r = kind == "outbox" ? client.Command({"XLEN", key}) : client.Command({"GET", key});
    if (r.ok() && !r->is_nil())
      total += r->type == platform::RedisReply::Type::kInteger ? r->integer : std::stoll(r->str);
  }
  return total;
}

struct TopicCount {
  std::set<std::string> ids;
  size_t records = 0;
};

TopicCount CountTopic(const Broker& broker) {
  TopicCount c;
  for (const auto& r : ReadWholeTopic(broker.bootstrap(), kTopic)) {
    ++c.records;
    c.ids.insert(HeaderValue(r, "ce_id"));
  }
  return c;
}

void ExpectNothingLost(const ProbeRun& run, const TopicCount& topic, long long committed_in_redis) {
  size_t missing = 0;
  for (const auto& id : run.committed) missing += topic.ids.count(id) == 0;
  EXPECT_EQ(missing, 0u) << "events acknowledged as committed but never published";
  // The counter is incremented in the same script as the outbox append, so
  // it counts exactly the events that exist: each must be on the topic once
  // after dedupe, and nothing else may be.
  EXPECT_EQ(static_cast<long long>(topic.ids.size()), committed_in_redis);
  ::testing::Test::RecordProperty("duplicates", static_cast<int>(topic.records - topic.ids.size()));
}

TEST(OutboxDurability, KillNineBetweenCommitAndPublishLosesNothing) {
  RedisServer redis(/*persistent=*/true);
  Broker broker;
  ProbeRun run;
  {
    auto args = ProbeArgs(redis, broker);
    for (const char* a : {"--count", "20000", "--pause_ms", "5"}) args.push_back(a);
    Subprocess writer(args);
    ReadProbe(writer, run, [](const ProbeRun& r) { return r.committed.size() >= 8000; });
    writer.Signal(SIGKILL);
    ReadProbe(writer, run, [](const ProbeRun&) { return false; });  // what was printed before death
  }
  long long committed = RedisSum(redis, "count");
  long long pending_at_kill = RedisSum(redis, "outbox");
  ::testing::Test::RecordProperty("pending_at_kill", static_cast<int>(pending_at_kill));
  ASSERT_GE(committed, static_cast<long long>(run.committed.size()));
  ASSERT_LT(committed, 20000);  // it really died mid-run

  auto args = ProbeArgs(redis, broker);
  for (const char* a : {"--count", "0", "--wait_drained"}) args.push_back(a);
  Subprocess restarted(args);
  ReadProbe(restarted, run, [](const ProbeRun& r) { return r.drained; });
  ASSERT_TRUE(run.drained);
  EXPECT_EQ(RedisSum(redis, "outbox"), 0);
  ExpectNothingLost(run, CountTopic(broker), committed);
}

TEST(OutboxDurability, CommitsGoOnDuringABrokerOutageAndAllArriveAfter) {
  RedisServer redis;
  Broker broker;
  ProbeRun run;
  auto before = ProbeArgs(redis, broker);
  for (const char* a : {"--start", "0", "--count", "1000", "--wait_drained"}) before.push_back(a);
  {
    Subprocess writer(before);
    ReadProbe(writer, run, [](const ProbeRun& r) { return r.drained; });
    ASSERT_TRUE(run.drained);
  }
  broker.TakeDown();
  run.drained = false;
  auto during = ProbeArgs(redis, broker);
  for (const char* a : {"--start", "1000", "--count", "3000", "--wait_drained"})
    during.push_back(a);
  Subprocess writer(during);
  ReadProbe(writer, run, [](const ProbeRun& r) { return r.committed.size() >= 4000; });
  ASSERT_EQ(run.committed.size(), 4000u) << "commits must not depend on Kafka";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(RedisSum(redis, "outbox"), 3000) << "nothing can be published while the broker is down";
  EXPECT_FALSE(run.drained);
  broker.BringUp();
  ReadProbe(
      writer, run, [](const ProbeRun& r) { return r.drained; }, std::chrono::seconds(90));
  ASSERT_TRUE(run.drained);
  ExpectNothingLost(run, CountTopic(broker), RedisSum(redis, "count"));
}

TEST(OutboxDurability, TwoReplicasPublishEveryEventExactlyOnce) {
  RedisServer redis;
  Broker broker;
  ProbeRun a_run, b_run;
  auto a_args = ProbeArgs(redis, broker);
  auto b_args = a_args;
  for (const char* a : {"--start", "0", "--count", "3000", "--wait_drained"}) a_args.push_back(a);
  for (const char* a : {"--start", "3000", "--count", "3000", "--wait_drained"})
    b_args.push_back(a);
  Subprocess a(a_args), b(b_args);
  ReadProbe(a, a_run, [](const ProbeRun& r) { return r.drained; });
  ReadProbe(b, b_run, [](const ProbeRun& r) { return r.drained; });
  ASSERT_TRUE(a_run.drained && b_run.drained);
  ProbeRun both;
  both.committed = a_run.committed;
  both.committed.insert(b_run.committed.begin(), b_run.committed.end());
  ASSERT_EQ(both.committed.size(), 6000u);
  TopicCount topic = CountTopic(broker);
  ExpectNothingLost(both, topic, RedisSum(redis, "count"));
  // With no crash and no timeout, leases make every event appear once.
  EXPECT_EQ(topic.records, topic.ids.size());
}

}  // namespace
}  // namespace gridbridge::testing
