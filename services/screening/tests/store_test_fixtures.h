#pragma once
// What the in-process store tests (measure timers, decision recorder, the
// re-screener, the event consumer) share: one grid, dates of the 2022 story
// in China time, the risk-area plan, the repository's policy file, and the
// Redis client's round-trip count.
#include <fstream>
#include <sstream>

#include "absl/time/time.h"
#include "calendar.h"
#include "clock.h"
#include "decision_recorder.h"
#include "gtest/gtest.h"
#include "metrics.h"
#include "policy.h"
#include "screening_engine.h"
#include "screening_state.h"
#include "stack.h"

namespace gridbridge::screening::test {

inline constexpr char kGrid[] = "431102001001g01";

inline absl::Time T(int month, int day, int hour = 0) {
  return StartOf(absl::CivilDay(2022, month, day)) + absl::Hours(hour);
}

// 14 days of centralized observation, then 7 at home.
inline Verdict RiskArea() {
  Verdict v;
  v.decision = v1::DECISION_MEASURE;
  v.rule = "risk-area";
  v.explanation = "到访中高风险地区";
  v.policy_version = "p1";
  auto* observe = v.plan.add_stages();
  observe->set_type(v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION);
  observe->set_days(14);
  auto* home = v.plan.add_stages();
  home->set_type(v1::MEASURE_TYPE_HOME_ISOLATION);
  home->set_days(7);
  return v;
}

// data/screening-policy.textproto, loaded (an empty policy, and a test
// failure, if it does not load).
inline v1::Policy RepoPolicy() {
  std::stringstream text;
  text << std::ifstream(testing::SourcePath("data/screening-policy.textproto")).rdbuf();
  auto policy = LoadPolicy(text.str());
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : v1::Policy();
}

// Redis round trips this process has made (the client's metric).
inline double RedisRoundTrips() {
  for (const auto& family : platform::Metrics().Collect()) {
    if (family.name == "gridbridge_redis_roundtrips_total") return family.metric[0].counter.value;
  }
  return -1;
}

// Screening's state on a redis-server of its own, wired as the service wires
// it (the repository's policy, no risk-area list yet, a clock at 11
// April): the members of a test fixture that derives from it.
struct InProcessScreening {
  testing::RedisServer server_;
  platform::RedisClient redis_{*platform::RedisOptionsFromAddr(server_.addr())};
  ScreeningStore store_{redis_};
  DecisionRecorder decisions_{store_, nullptr};
  PolicyHolder policy_{RepoPolicy()};
  RiskAreaCache risk_areas_{store_, redis_, platform::Divisions::Builtin()};
  platform::FakeClock clock_{T(4, 11)};

  // Commits risk-area list `version` (Shaoyang a medium-risk area), as
  // SetRiskAreas does.
  void CommitShaoyangList(long long version) {
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
};

}  // namespace gridbridge::screening::test
