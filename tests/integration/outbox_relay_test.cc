// The outbox relay, in-process against a real redis-server and the broker:
// one relay publishes a unit at a time, a relay that renewed its lease
// recently does not ask for it again each round, and units past a round's
// bound go in the next round.
#include <thread>

#include "grid_transaction.h"
#include "gtest/gtest.h"
#include "kafka_publisher.h"
#include "outbox.h"
#include "outbox_pack.h"
#include "stack.h"
#include "topic_reader.h"

namespace gridbridge::platform {
namespace {

constexpr char kTopic[] = "gridbridge.platform.probe.v1";

class OutboxRelayTest : public ::testing::Test {
 protected:
  void Commit(int n, const std::string& unit = "u1") {
    GridTransaction txn(GridKeys("probe", unit), "", "", absl::Now());
    txn.Publish({kTopic, unit, std::to_string(n), {{"ce_id", std::to_string(n)}}});
    ASSERT_TRUE(GridTransaction::Commit(redis_, txn).ok());
  }
  std::unique_ptr<OutboxRelay> Relay(absl::Duration lease) {
    OutboxRelayOptions options;
    options.service = "probe";
    options.lease = lease;
    return std::make_unique<OutboxRelay>(
        redis_, **publisher_, [] { return std::vector<std::string>{"u1"}; }, options);
  }
  long long ScriptRuns() {
    auto info = redis_.Command({"INFO", "commandstats"});
    const std::string& text = info->str;
    auto at = text.find("cmdstat_evalsha:calls=");
    return at == std::string::npos ? 0 : std::stoll(text.substr(at + 22));
  }

  testing::RedisServer server_;
  testing::Broker broker_;
  RedisClient redis_{*RedisOptionsFromAddr(server_.addr())};
  absl::StatusOr<std::unique_ptr<KafkaPublisher>> publisher_ =
      KafkaPublisher::Create({broker_.bootstrap(), "relay-test", {}});
};

TEST_F(OutboxRelayTest, ARelayKeepsItsLeaseWithoutAskingEachRoundAndOthersWaitForIt) {
  ASSERT_TRUE(publisher_.ok());
  auto a = Relay(absl::Seconds(2));
  auto b = Relay(absl::Seconds(2));
  // The producer's first record waits for the topic's metadata (up to a
  // second here): not inside the lease times this test counts on.
  const std::vector<KafkaRecord> warm_up{{kTopic, "warm-up", "0", {}}};
  ASSERT_TRUE((*publisher_)->PublishBatch(warm_up, absl::Seconds(5))[0].ok());
  Commit(1);
  EXPECT_EQ(*a->RunRound({"u1"}), 1);
  // a took the lease for 2 s: the next rounds (within its first half) run
  // no script at all (the delete is a plain XDEL).
  for (int n = 2; n <= 4; ++n) {
    Commit(n);
    const long long before = ScriptRuns();
    EXPECT_EQ(*a->RunRound({"u1"}), 1);
    EXPECT_EQ(ScriptRuns() - before, 0) << "round " << n;
  }
  // b cannot publish u1 while a holds it...
  Commit(5);
  EXPECT_EQ(*b->RunRound({"u1"}), 0);
  // ...until a's lease runs out (a renews it only when it runs rounds).
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  EXPECT_EQ(*b->RunRound({"u1"}), 1);
  // Now a must ask again (its lease is older than half its time) and is
  // refused: it publishes nothing.
  Commit(6);
  EXPECT_EQ(*a->RunRound({"u1"}), 0);
  EXPECT_EQ(*b->RunRound({"u1"}), 1);
}

// A packed entry (outbox_pack.h) goes to Kafka as the records it holds, in
// order, and is deleted.
TEST_F(OutboxRelayTest, APackedEntryIsPublishedAsItsRecordsInOrder) {
  ASSERT_TRUE(publisher_.ok());
  const GridKeys keys("probe", "u1");
  std::vector<GridTransaction> txns;
  for (int n = 0; n < 30; ++n) {
    txns.emplace_back(keys, "", "", absl::Now());
    txns.back().Publish({kTopic,
                         "u1",
                         "record " + std::to_string(n) + std::string(100, '.'),
                         {{"ce_id", "packed-" + std::to_string(n)}}});
  }
  ASSERT_TRUE(GridTransaction::CommitWatched(redis_, txns).ok());
  auto raw = redis_.Command({"XRANGE", keys.Outbox(), "-", "+"});
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_EQ(raw->elements.size(), 1u);
  ASSERT_TRUE(IsPackedOutboxEntry(raw->elements[0].elements[1].elements[1].str));

  EXPECT_EQ(*Relay(absl::Seconds(10))->RunRound({"u1"}), 30);
  EXPECT_EQ(redis_.Command({"XLEN", keys.Outbox()})->integer, 0);
  std::vector<std::string> ids;
  for (const auto& r : testing::ReadWholeTopic(broker_.bootstrap(), kTopic)) {
    if (testing::HeaderValue(r, "ce_id").rfind("packed-", 0) != 0) continue;
    EXPECT_EQ(r.value, "record " + std::to_string(ids.size()) + std::string(100, '.'));
    ids.push_back(testing::HeaderValue(r, "ce_id"));
  }
  EXPECT_EQ(ids.size(), 30u);
}

// A round reads a bounded number of entries; the units past the bound are
// taken by the next round, not left to the next scan of all units.
TEST_F(OutboxRelayTest, UnitsPastARoundsBoundGoInTheNextRoundNotTheNextScan) {
  ASSERT_TRUE(publisher_.ok());
  const std::vector<std::string> units = {"u1", "u2", "u3", "u4", "u5"};
  for (size_t i = 0; i < units.size(); ++i) Commit(static_cast<int>(i), units[i]);
  OutboxRelayOptions options;
  options.service = "probe";
  options.entries_per_unit = 1;
  options.max_entries_per_round = 2;       // two units a round
  options.scan_interval = absl::Hours(1);  // one scan, at start
  OutboxRelay relay(
      redis_, **publisher_, [&] { return units; }, options);
  relay.Start();
  long long pending = -1;
  for (int i = 0; i < 500 && pending != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    pending = *relay.Pending();
  }
  relay.Stop();
  EXPECT_EQ(pending, 0) << "units past the first round's bound waited for the next scan";
}

}  // namespace
}  // namespace gridbridge::platform
