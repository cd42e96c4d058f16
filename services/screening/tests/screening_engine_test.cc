// The policy engine, with the shipped policy, as a table of cases: health
// codes, risk levels, visits just inside and outside the window,
// vaccination and tests; and the source's stories.
#include "screening_engine.h"

#include <fstream>
#include <sstream>

#include "calendar.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "policy.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;
using intake::v1::HealthCodeColor;

const platform::Divisions& Div() { return platform::Divisions::Builtin(); }

v1::Policy ShippedPolicy() {
  std::ifstream in(std::string(GRIDBRIDGE_SOURCE_DIR) + "/data/screening-policy.textproto");
  std::stringstream text;
  text << in.rdbuf();
  return *LoadPolicy(text.str());
}

const absl::CivilDay kApr11(2022, 4, 11);
const absl::Time kArrival = StartOf(kApr11) + absl::Hours(15);  // 11 April, 15:00
const absl::Time kNow = kArrival + absl::Minutes(10);

v1::RiskArea Area(const std::string& code, v1::RiskLevel level) {
  v1::RiskArea a;
  a.set_division_code(code);
  a.set_level(level);
  *a.mutable_effective_from() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(StartOf(absl::CivilDay(2022, 4, 1))));
  return a;
}

// Shaoyang (the installers' city) medium risk as a whole; in Shenzhen only
// Futian district, high risk; Changsha's Yuelu district high risk.
RiskAreaIndex StoryAreas() {
  v1::RiskAreaList list;
  list.set_version(3);
  *list.add_areas() = Area("430500", v1::RISK_LEVEL_MEDIUM);
  *list.add_areas() = Area("440304", v1::RISK_LEVEL_HIGH);
  *list.add_areas() = Area("430104", v1::RISK_LEVEL_HIGH);
  return RiskAreaIndex(list, Div());
}

Situation Green() {
  Situation s;
  s.health_code = intake::v1::HEALTH_CODE_COLOR_GREEN;
  s.arrival_time = kArrival;
  s.doses = 3;
  return s;
}

Situation Visiting(const std::string& code, int days_before) {
  Situation s = Green();
  s.visits.push_back({code, "", kApr11 - days_before});
  return s;
}

Situation WithCode(HealthCodeColor c) {
  Situation s = Green();
  s.health_code = c;
  return s;
}

Situation Tested(int doses, std::vector<std::pair<int, intake::v1::TestResult>> hours_before) {
  Situation s = Green();
  s.doses = doses;
  for (auto [h, r] : hours_before) s.tests.push_back({kArrival - absl::Hours(h), r});
  return s;
}

struct Case {
  const char* name;
  Situation situation;
  const char* rule;
  v1::Decision decision;
};

TEST(ScreeningEngine, TableOfCases) {
  using intake::v1::TEST_RESULT_NEGATIVE;
  using intake::v1::TEST_RESULT_PENDING;
  using intake::v1::TEST_RESULT_POSITIVE;
  const v1::Policy policy = ShippedPolicy();
  const RiskAreaIndex areas = StoryAreas();
  const Case cases[] = {
      {"green, nowhere risky", Green(), "default", v1::DECISION_PASS},
      {"yellow code", WithCode(intake::v1::HEALTH_CODE_COLOR_YELLOW), "yellow-code",
       v1::DECISION_PASS_WITH_TEST},
      {"red code", WithCode(intake::v1::HEALTH_CODE_COLOR_RED), "red-code", v1::DECISION_MEASURE},
      {"medium-risk city, 3 days before", Visiting("430500", 3), "risk-area", v1::DECISION_MEASURE},
      {"county inside a medium-risk city", Visiting("430522", 3), "risk-area",
       v1::DECISION_MEASURE},
      {"high-risk district", Visiting("430104", 5), "risk-area", v1::DECISION_MEASURE},
      {"risk area on the arrival day", Visiting("430500", 0), "risk-area", v1::DECISION_MEASURE},
      {"risk area 14 days before: just inside", Visiting("430500", 14), "risk-area",
       v1::DECISION_MEASURE},
      {"risk area 15 days before: just outside", Visiting("430500", 15), "default",
       v1::DECISION_PASS},
      {"another district of a city with a risk area", Visiting("440306", 2), "risk-city",
       v1::DECISION_MEASURE},
      {"city with a risk area, 15 days before", Visiting("440306", 15), "default",
       v1::DECISION_PASS},
      {"a low-risk place", Visiting("431102", 2), "default", v1::DECISION_PASS},
      {"unvaccinated, no test", Tested(0, {}), "unvaccinated-untested",
       v1::DECISION_PASS_WITH_TEST},
      {"unvaccinated, negative 24 h before", Tested(0, {{24, TEST_RESULT_NEGATIVE}}), "default",
       v1::DECISION_PASS},
      {"unvaccinated, negative 49 h before", Tested(0, {{49, TEST_RESULT_NEGATIVE}}),
       "unvaccinated-untested", v1::DECISION_PASS_WITH_TEST},
      {"unvaccinated, pending 24 h before", Tested(0, {{24, TEST_RESULT_PENDING}}),
       "unvaccinated-untested", v1::DECISION_PASS_WITH_TEST},
      {"one dose, no test", Tested(1, {}), "default", v1::DECISION_PASS},
      {"latest test positive", Tested(3, {{48, TEST_RESULT_NEGATIVE}, {2, TEST_RESULT_POSITIVE}}),
       "positive-test", v1::DECISION_MEASURE},
      {"positive, then negative",
       Tested(3, {{48, TEST_RESULT_POSITIVE}, {2, TEST_RESULT_NEGATIVE}}), "default",
       v1::DECISION_PASS},
      {"positive, then pending", Tested(3, {{48, TEST_RESULT_POSITIVE}, {2, TEST_RESULT_PENDING}}),
       "positive-test", v1::DECISION_MEASURE},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(CheckSituation(c.situation, kNow, Div()).ok()) << c.name;
    Verdict v = Screen(policy, areas, Div(), c.situation, kNow);
    EXPECT_EQ(v.rule, c.rule) << c.name;
    EXPECT_EQ(v.decision, c.decision) << c.name;
    EXPECT_EQ(v.policy_version, "2022-04-11.1") << c.name;
    EXPECT_EQ(v.risk_list_version, 3) << c.name;
    if (v.decision != v1::DECISION_PASS) {
      EXPECT_FALSE(v.reasons.empty()) << c.name;
    }
  }
}

TEST(ScreeningEngine, AVenueExposureIsHomeIsolationWithTheVenueAndTimeAsReason) {
  Situation s = Green();
  s.exposures.push_back({"枫木山超市", kArrival, kArrival - absl::Minutes(35)});
  Verdict v = Screen(ShippedPolicy(), StoryAreas(), Div(), s, kNow);
  EXPECT_EQ(v.rule, "venue-exposure");
  EXPECT_EQ(v.plan.stages(0).type(), v1::MEASURE_TYPE_HOME_ISOLATION);
  EXPECT_EQ(v.reasons,
            std::vector<std::string>{
                "2022-04-11 15:00在枫木山超市扫场所码，与核酸阳性人员到场时间相差35分钟"});
}

TEST(ScreeningEngine, RulesApplyInOrder) {
  // A red code from a medium-risk city: red-code comes first.
  Situation s = Visiting("430500", 3);
  s.health_code = intake::v1::HEALTH_CODE_COLOR_RED;
  Verdict v = Screen(ShippedPolicy(), StoryAreas(), Div(), s, kNow);
  EXPECT_EQ(v.rule, "red-code");
  EXPECT_EQ(v.reasons, std::vector<std::string>{"健康码为红码"});
}

// The installers from Liaoning, arriving on 11 April from Shaoyang: 14 days
// of centralized observation, then home isolation; the reason names the
// place, the day and the risk.
TEST(ScreeningEngine, TheInstallersFromShaoyangGetCentralizedObservationThenHomeIsolation) {
  Situation s = Green();
  s.visits.push_back({"430500", "", absl::CivilDay(2022, 4, 8)});
  s.visits.push_back({"210100", "", absl::CivilDay(2022, 4, 2)});  // Shenyang, home
  Verdict v = Screen(ShippedPolicy(), StoryAreas(), Div(), s, kNow);
  EXPECT_EQ(v.rule, "risk-area");
  ASSERT_EQ(v.plan.stages_size(), 2);
  EXPECT_EQ(v.plan.stages(0).type(), v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION);
  EXPECT_EQ(v.plan.stages(0).days(), 14);
  EXPECT_EQ(v.plan.stages(1).type(), v1::MEASURE_TYPE_HOME_ISOLATION);
  EXPECT_EQ(v.reasons, std::vector<std::string>{
                           "2022-04-08到访湖南省邵阳市 (430500)（抵达前3天），属中风险地区"});
  // Observation ends, and home isolation starts, on the 26th.
  EXPECT_EQ(PeriodEnd(kArrival, v.plan.stages(0).days()), StartOf(absl::CivilDay(2022, 4, 26)));
}

// Peng, back from Shenzhen (Bao'an, a district without a risk area, in a
// city with one): 14 days of home isolation.
TEST(ScreeningEngine, PengFromShenzhenGetsFourteenDaysOfHomeIsolation) {
  Verdict v = Screen(ShippedPolicy(), StoryAreas(), Div(), Visiting("440306", 1), kNow);
  EXPECT_EQ(v.rule, "risk-city");
  ASSERT_EQ(v.plan.stages_size(), 1);
  EXPECT_EQ(v.plan.stages(0).type(), v1::MEASURE_TYPE_HOME_ISOLATION);
  EXPECT_EQ(v.plan.stages(0).days(), 14);
  EXPECT_EQ(v.reasons,
            std::vector<std::string>{"2022-04-10到访广东省深圳市宝安区 (440306)（抵达前1天），"
                                     "所在城市有高风险地区广东省深圳市福田区 (440304)"});
}

TEST(ScreeningEngine, ARiskAreaAnnouncedAfterScreeningChangesTheVerdictOfAReScreen) {
  const v1::Policy policy = ShippedPolicy();
  Situation s = Visiting("431102", 4);  // Lingling, not a risk area on 11 April
  v1::RiskAreaList list;
  list.set_version(4);
  EXPECT_EQ(Screen(policy, RiskAreaIndex(list, Div()), Div(), s, kNow).rule, "default");
  v1::RiskArea lingling = Area("431102", v1::RISK_LEVEL_HIGH);
  *lingling.mutable_effective_from() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(kNow + absl::Hours(20)));
  *list.add_areas() = lingling;
  list.set_version(5);
  RiskAreaIndex changed(list, Div());
  EXPECT_EQ(Screen(policy, changed, Div(), s, kNow).rule, "default")
      << "screened before the announcement";
  Verdict again = Screen(policy, changed, Div(), s, kNow + absl::Hours(24));
  EXPECT_EQ(again.rule, "risk-area") << "re-screened after it";
  EXPECT_EQ(again.risk_list_version, 5);
}

TEST(ScreeningEngine, BadSituationsAreRejectedNamingTheField) {
  Situation unknown = Visiting("439999", 2);
  EXPECT_EQ(CheckSituation(unknown, kNow, Div()).message(),
            "visited_places[0].division_code: '439999' is not a known administrative division "
            "(GB/T 2260)");
  Situation after = Green();
  after.visits.push_back({"430500", "", kApr11 + 1});
  EXPECT_EQ(CheckSituation(after, kNow, Div()).message(),
            "visited_places[0].date: after the arrival day");
  Situation future = Green();
  future.arrival_time = kNow + absl::Hours(1);
  EXPECT_EQ(CheckSituation(future, kNow, Div()).message(), "arrival_time: in the future");
  Situation test = Tested(3, {{-2, intake::v1::TEST_RESULT_NEGATIVE}});
  test.tests[0].sample_time = kNow + absl::Hours(2);
  EXPECT_EQ(CheckSituation(test, kNow, Div()).message(), "tests[0].sample_time: in the future");
}

}  // namespace
}  // namespace gridbridge::screening
