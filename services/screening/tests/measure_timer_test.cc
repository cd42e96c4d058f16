// Measure timers against a real redis-server with an injected clock: stage
// ends and releases fire on time, exactly once, with two replicas running,
// and after a restart of the service (and of Redis) between start and end.
#include "measure_timer.h"

#include <thread>

#include "calendar.h"
#include "gridbridge/screening/v1/events.pb.h"
#include "gtest/gtest.h"
#include "measure_lifecycle.h"
#include "outbox.h"
#include "stack.h"
#include "store_test_fixtures.h"

namespace gridbridge::screening {
namespace {

using test::kGrid;
using test::RiskArea;
using test::T;

class MeasureTimerTest : public ::testing::Test {
 protected:
  MeasureTimerTest() { Connect(); }

  void Connect() {
    redis_ =
        std::make_unique<platform::RedisClient>(*platform::RedisOptionsFromAddr(server_.addr()));
    store_ = std::make_unique<ScreeningStore>(*redis_);
  }

  std::unique_ptr<MeasureTimer> NewTimer() {
    return std::make_unique<MeasureTimer>(
        *store_, clock_,
        [] {
          return std::vector<std::string>{kGrid, "431102001001g02"};
        },
        nullptr, MeasureTimerOptions{.interval = absl::Milliseconds(5)});
  }

  // The installers' measure, started on arrival, 11 April 15:00.
  void StartInstallersMeasure(const std::string& id) {
    v1::Measure m = StartMeasure(id, "r-" + id, kGrid, RiskArea(), T(4, 11, 15));
    std::vector<platform::GridTransaction> txns;
    txns.emplace_back(ScreeningStore::Keys(kGrid), "", "", T(4, 11, 15));
    AddMeasureChange(txns.back(), nullptr, m, common::v1::Actor(), T(4, 11, 15));
    auto out = store_->CommitAll(txns);
    ASSERT_TRUE(out.ok() && (*out)[0].ok()) << "start failed";
  }

  v1::Measure Get(const std::string& id) {
    auto got = store_->GetMeasures({{kGrid, id}});
    EXPECT_TRUE(got.ok() && (*got)[0].has_value());
    return got.ok() && (*got)[0].has_value() ? *(*got)[0] : v1::Measure();
  }

  // Waits until the measure reaches `version` (or 5 s pass).
  v1::Measure WaitForVersion(const std::string& id, long long version) {
    v1::Measure m;
    for (int i = 0; i < 500; ++i) {
      m = Get(id);
      if (m.version() >= version) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return m;
  }

  // The measure and care events in the grid's outbox, as (topic, kind).
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    auto entries = redis_->Command({"XRANGE", ScreeningStore::Keys(kGrid).Outbox(), "-", "+"});
    for (const auto& e : entries->elements) {
      auto records = platform::DecodeOutboxEntry(e.elements[1]);
      EXPECT_TRUE(records.ok()) << records.status();
      if (!records.ok()) continue;
      for (const auto& r : *records) {
        if (r.topic == kMeasureTopic) {
          v1::MeasureChanged ev;
          EXPECT_TRUE(ev.ParseFromString(r.value));
          out.push_back(v1::MeasureChangeKind_Name(ev.change().kind()) + " v" +
                        std::to_string(ev.meta().entity_version()));
        } else if (r.topic == kCareRequestTopic) {
          out.push_back("care");
        }
      }
    }
    return out;
  }

  std::string Count(const std::string& field) {
    auto r = redis_->Command({"HGET", ScreeningStore::Keys(kGrid).Key("counts"), field});
    return r->is_nil() ? "0" : r->str;
  }

  testing::RedisServer server_{/*persistent=*/true};
  std::unique_ptr<platform::RedisClient> redis_;
  std::unique_ptr<ScreeningStore> store_;
  platform::FakeClock clock_{T(4, 11, 15)};
};

TEST_F(MeasureTimerTest, StageEndsFireOnTimeExactlyOnceWithTwoReplicas) {
  StartInstallersMeasure("m1");
  auto a = NewTimer(), b = NewTimer();
  a->Start();
  b->Start();
  clock_.Set(T(4, 26) - absl::Seconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Get("m1").version(), 1) << "not before its time";

  clock_.Set(T(4, 26));  // observation ends: home isolation begins
  v1::Measure home = WaitForVersion("m1", 2);
  EXPECT_EQ(home.stage_index(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // both replicas had a go
  EXPECT_EQ(Get("m1").version(), 2);
  EXPECT_EQ(Count("centralized_observation"), "0");
  EXPECT_EQ(Count("home_isolation"), "1");

  clock_.Set(T(5, 3));  // home isolation ends: released
  v1::Measure done = WaitForVersion("m1", 3);
  EXPECT_EQ(done.status(), v1::MEASURE_STATUS_RELEASED);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  a->Stop();
  b->Stop();
  EXPECT_EQ(Get("m1").version(), 3);
  EXPECT_EQ(Events(), (std::vector<std::string>{"MEASURE_CHANGE_KIND_STARTED v1",
                                                "MEASURE_CHANGE_KIND_STAGE_CHANGED v2", "care",
                                                "MEASURE_CHANGE_KIND_RELEASED v3"}));
  EXPECT_EQ(Count("home_isolation"), "0");
  EXPECT_EQ(Count("released"), "1");
  EXPECT_EQ(redis_->Command({"ZCARD", ScreeningStore::Keys(kGrid).Key("due")})->integer, 0);
}

// What makes two replicas safe: both read version 1 and compute the same
// stage change; the second commit finds version 2 and changes nothing.
TEST_F(MeasureTimerTest, TheSecondOfTwoIdenticalChangesConflictsAndWritesNothing) {
  StartInstallersMeasure("m1");
  const v1::Measure before = Get("m1");
  const v1::Measure after = AdvanceDue(before, T(4, 26));
  std::vector<platform::GridTransaction> txns;
  for (int replica = 0; replica < 2; ++replica) {
    txns.emplace_back(ScreeningStore::Keys(kGrid), "", "", T(4, 26));
    AddMeasureChange(txns.back(), &before, after, common::v1::Actor(), T(4, 26));
  }
  auto out = store_->CommitAll(txns);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0]->kind, platform::GridTransaction::Outcome::Kind::kCommitted);
  EXPECT_EQ((*out)[1]->kind, platform::GridTransaction::Outcome::Kind::kConflict);
  EXPECT_EQ(Events().size(), 3u) << "started, stage changed, care: once each";
  EXPECT_EQ(Count("home_isolation"), "1");
}

TEST_F(MeasureTimerTest, ReleasesFireAfterARestartBetweenStartAndEnd) {
  StartInstallersMeasure("m1");
  {
    auto before_restart = NewTimer();
    clock_.Set(T(4, 20));
    EXPECT_EQ(*before_restart->RunOnce(), 0);
  }                   // the service stops...
  server_.Restart();  // ...and Redis is killed -9 and replays its AOF
  Connect();
  clock_.Set(T(5, 4));  // back a day after the release was due
  auto after_restart = NewTimer();
  EXPECT_EQ(*after_restart->RunOnce(), 1);
  EXPECT_EQ(after_restart->lateness(), T(5, 4) - T(4, 26))
      << "late by the time since observation should have ended";
  EXPECT_EQ(*after_restart->RunOnce(), 0) << "once";
  EXPECT_EQ(after_restart->lateness(), absl::ZeroDuration()) << "nothing due any more";
  v1::Measure m = Get("m1");
  EXPECT_EQ(m.status(), v1::MEASURE_STATUS_RELEASED);
  EXPECT_EQ(m.history(1).kind(), v1::MEASURE_CHANGE_KIND_STAGE_CHANGED);
  EXPECT_EQ(m.history(2).kind(), v1::MEASURE_CHANGE_KIND_RELEASED);
  EXPECT_EQ(absl::FromUnixSeconds(m.released_at().seconds()), T(5, 3)) << "dated when due";
  EXPECT_EQ(Events().size(), 4u);
}

TEST_F(MeasureTimerTest, AnExtendedStageFiresAtItsNewEnd) {
  StartInstallersMeasure("m1");
  v1::Measure m = Get("m1");
  auto longer = Extend(m, 2, T(4, 20), {"worker", "复查未完成"});
  ASSERT_TRUE(longer.ok());
  std::vector<platform::GridTransaction> txns;
  txns.emplace_back(ScreeningStore::Keys(kGrid), "", "", T(4, 20));
  AddMeasureChange(txns.back(), &m, *longer, common::v1::Actor(), T(4, 20));
  ASSERT_TRUE(store_->CommitAll(txns).ok());
  auto timer = NewTimer();
  clock_.Set(T(4, 26));
  EXPECT_EQ(*timer->RunOnce(), 0) << "the old end passed, the new one has not";
  clock_.Set(T(4, 28));
  EXPECT_EQ(*timer->RunOnce(), 1);
  EXPECT_EQ(Get("m1").stage_index(), 1);
}

}  // namespace
}  // namespace gridbridge::screening
