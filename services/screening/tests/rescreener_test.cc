// The re-screen job against a real redis-server: a risk-area list committed
// by this replica is re-screened as soon as the service says so, not at the
// job's next look.
#include "rescreener.h"

#include <thread>

#include "gtest/gtest.h"
#include "stack.h"
#include "store_test_fixtures.h"

namespace gridbridge::screening {
namespace {

using test::kGrid;
using test::T;

class RescreenerTest : public ::testing::Test, protected test::InProcessScreening {
 protected:
  void SetList(long long version) { CommitShaoyangList(version); }

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

// Decisions made against an older list and committed after the pass of the
// newer one had read their grid (a slow check, a lagging consumer) are
// re-screened by whoever committed them: only when the list has changed,
// and once in effect (a measure placed calls for nothing more).
TEST_F(RescreenerTest, ArrivalsCommittedAfterTheirGridsPassAreRescreenedByTheirCommitter) {
  Rescreener rescreener({store_, redis_, decisions_, policy_, risk_areas_,
                         platform::Divisions::Builtin(), clock_,
                         [] { return std::vector<std::string>{kGrid}; }});
  SetList(1);
  auto pass = rescreener.RunOnce();
  ASSERT_TRUE(pass.ok()) << pass.status();
  ASSERT_EQ(pass->arrivals, 0) << "nothing to re-screen yet";

  // Back via Shaoyang, decided as before the list (version 0): a pass.
  intake::v1::Arrival arrival;
  arrival.set_arrival_id("a-late");
  arrival.set_resident_id("r-late");
  arrival.set_grid_id(kGrid);
  arrival.set_health_code(intake::v1::HEALTH_CODE_COLOR_GREEN);
  arrival.mutable_arrival_time()->set_seconds(absl::ToUnixSeconds(T(4, 11)));
  auto* place = arrival.add_visited_places();
  place->set_division_code("430500");
  place->mutable_date()->set_year(2022);
  place->mutable_date()->set_month(4);
  place->mutable_date()->set_day(9);
  auto decided = decisions_.RecordAll(
      common::v1::Actor(), {&arrival},
      [](size_t, const v1::PersonStatus&) {
        Verdict pass;
        pass.decision = v1::DECISION_PASS;
        pass.rule = "green";
        pass.policy_version = "p1";
        pass.risk_list_version = 0;
        return pass;
      },
      T(4, 11));
  ASSERT_TRUE(decided[0].ok()) << decided[0].status();
  ASSERT_EQ(decided[0]->decision(), v1::DECISION_PASS);

  auto again = rescreener.RescreenIfListChanged(1, {kGrid});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again) << "decided against the list in force: nothing to do";
  EXPECT_TRUE(store_.GetPerson(kGrid, "r-late")->value.measure().measure_id().empty());

  again = rescreener.RescreenIfListChanged(0, {kGrid, kGrid});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again);
  auto person = store_.GetPerson(kGrid, "r-late");
  ASSERT_TRUE(person.ok()) << person.status();
  EXPECT_FALSE(person->value.measure().measure_id().empty());
  EXPECT_TRUE(person->value.last_decision().rescreened());
  EXPECT_EQ(person->value.last_decision().risk_list_version(), 1);
  EXPECT_EQ(store_.GetGridScreening(kGrid)->measures_started(), 1);

  again = rescreener.RescreenIfListChanged(0, {kGrid});  // a retried check, a batch again
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(store_.GetGridScreening(kGrid)->measures_started(), 1);
}

}  // namespace
}  // namespace gridbridge::screening
