// The re-screen job against a real redis-server: a risk-area list committed
// by this replica is re-screened as soon as the service says so, not at the
// job's next look.
#include "rescreener.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "policy.h"
#include "stack.h"
#include "store_test_fixtures.h"

namespace gridbridge::screening {
namespace {

using test::kGrid;
using test::T;

class RescreenerTest : public ::testing::Test {
 protected:
  static v1::Policy Policy() {
    std::stringstream text;
    text << std::ifstream(testing::SourcePath("data/screening-policy.textproto")).rdbuf();
    auto policy = LoadPolicy(text.str());
    EXPECT_TRUE(policy.ok()) << policy.status();
    return policy.ok() ? *policy : v1::Policy();
  }

  // Commits list `version` (Shaoyang a medium-risk area), as SetRiskAreas does.
  void SetList(long long version) {
    v1::RiskAreaList list;
    list.set_version(version);
    auto* area = list.add_areas();
    area->set_division_code("430500");
    area->set_level(v1::RISK_LEVEL_MEDIUM);
    area->mutable_effective_from()->set_seconds(absl::ToUnixSeconds(T(4, 1)));
    platform::GridTransaction txn(ScreeningStore::Keys(ScreeningStore::kRiskAreasUnit), "", "",
                                  T(4, 11));
    txn.ExpectVersion(ScreeningStore::RiskAreasKey(), version - 1);
    txn.PutRecord(ScreeningStore::RiskAreasKey(), version, list.SerializeAsString());
    auto committed = store_.Commit(txn);
    ASSERT_TRUE(committed.ok() &&
                committed->kind == platform::GridTransaction::Outcome::Kind::kCommitted)
        << "list v" << version << " not committed";
  }

  // The version last re-screened, once it is `version` or 5 s have passed.
  std::string WaitForRescreen(long long version) {
    const std::string key = ScreeningStore::Keys(ScreeningStore::kRiskAreasUnit).Key("rescreened");
    std::string got;
    for (int i = 0; i < 500 && got != std::to_string(version); ++i) {
      auto reply = redis_.Command({"GET", key});
      got = reply.ok() && !reply->is_nil() ? reply->str : "";
      if (got != std::to_string(version))
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return got;
  }

  testing::RedisServer server_;
  platform::RedisClient redis_{*platform::RedisOptionsFromAddr(server_.addr())};
  ScreeningStore store_{redis_};
  DecisionRecorder decisions_{store_, nullptr};
  PolicyHolder policy_{Policy()};
  RiskAreaCache risk_areas_{store_, redis_, platform::Divisions::Builtin()};
  platform::FakeClock clock_{T(4, 11)};
};

TEST_F(RescreenerTest, ANotifiedChangeIsRescreenedAtOnceNotAtTheNextLook) {
  Rescreener rescreener(
      {store_, redis_, decisions_, policy_, risk_areas_, platform::Divisions::Builtin(), clock_,
       [] { return std::vector<std::string>{kGrid}; }},
      {.interval = absl::Hours(1)});
  SetList(1);
  rescreener.Start();  // looks once at start, then every hour
  ASSERT_EQ(WaitForRescreen(1), "1") << "the first look re-screens the list in force";

  SetList(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(WaitForRescreen(1), "1") << "without the hint, list v2 waits for the next look";
  rescreener.Notify();
  EXPECT_EQ(WaitForRescreen(2), "2") << "the hint starts the pass at once";
  rescreener.Stop();
}

}  // namespace
}  // namespace gridbridge::screening
