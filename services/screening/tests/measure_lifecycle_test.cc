// Every transition of a measure, with the source's stories: the installers
// stepping down from centralized observation to home isolation on the 26th,
// and Peng's home isolation escalated by a positive test.
#include "measure_lifecycle.h"

#include "calendar.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;

absl::Time T(int month, int day, int hour = 0) {
  return StartOf(absl::CivilDay(2022, month, day)) + absl::Hours(hour);
}
absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

v1::MeasureStage Stage(v1::MeasureType type, int days) {
  v1::MeasureStage s;
  s.set_type(type);
  s.set_days(days);
  return s;
}

Verdict MeasureVerdict(const std::string& rule, std::initializer_list<v1::MeasureStage> stages) {
  Verdict v;
  v.decision = v1::DECISION_MEASURE;
  v.rule = rule;
  v.explanation = "到访中高风险地区";
  v.policy_version = "p1";
  v.reasons = {"2022-04-08到访湖南省邵阳市 (430500)（抵达前3天），属中风险地区"};
  for (const auto& s : stages) *v.plan.add_stages() = s;
  return v;
}

const Verdict kRiskArea =
    MeasureVerdict("risk-area", {Stage(v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION, 14),
                                 Stage(v1::MEASURE_TYPE_HOME_ISOLATION, 7)});
const Verdict kHomeIsolation =
    MeasureVerdict("risk-city", {Stage(v1::MEASURE_TYPE_HOME_ISOLATION, 14)});
const ChangeRequest kWorker{"worker-1", "复核后调整"};

std::vector<v1::MeasureChangeKind> Kinds(const v1::Measure& m) {
  std::vector<v1::MeasureChangeKind> out;
  for (const auto& c : m.history()) out.push_back(c.kind());
  return out;
}

TEST(MeasureLifecycle, TheInstallersMoveToHomeIsolationOnThe26th) {
  v1::Measure m = StartMeasure("m1", "r1", "g1", kRiskArea, T(4, 11, 15));
  EXPECT_EQ(m.status(), v1::MEASURE_STATUS_ACTIVE);
  EXPECT_EQ(m.version(), 1);
  EXPECT_EQ(m.stage_index(), 0);
  EXPECT_EQ(FromProto(m.stage_ends_at()), T(4, 26));
  EXPECT_EQ(m.rule(), "risk-area");
  EXPECT_EQ(m.history(0).reason(), "到访中高风险地区：集中医学观察14天");

  EXPECT_EQ(AdvanceDue(m, T(4, 26) - absl::Seconds(1)).version(), 1) << "not due yet";
  v1::Measure home = AdvanceDue(m, T(4, 26));
  EXPECT_EQ(home.version(), 2);
  EXPECT_EQ(home.stage_index(), 1);
  EXPECT_EQ(FromProto(home.stage_started_at()), T(4, 26));
  EXPECT_EQ(FromProto(home.stage_ends_at()), T(5, 3)) << "7 days: 26 April to 2 May";
  EXPECT_EQ(home.history(1).kind(), v1::MEASURE_CHANGE_KIND_STAGE_CHANGED);
  EXPECT_EQ(home.history(1).reason(), "集中医学观察期满，转居家隔离7天");

  v1::Measure done = AdvanceDue(home, T(5, 3));
  EXPECT_EQ(done.status(), v1::MEASURE_STATUS_RELEASED);
  EXPECT_EQ(FromProto(done.released_at()), T(5, 3));
  EXPECT_EQ(AdvanceDue(done, T(6, 1)).version(), done.version()) << "released stays released";
}

TEST(MeasureLifecycle, ALateTimerAppliesEveryDueChangeDatedWhenItWasDue) {
  v1::Measure m = StartMeasure("m1", "r1", "g1", kRiskArea, T(4, 11, 15));
  v1::Measure late = AdvanceDue(m, T(5, 10));  // the service was down for weeks
  EXPECT_EQ(Kinds(late), (std::vector<v1::MeasureChangeKind>{v1::MEASURE_CHANGE_KIND_STARTED,
                                                             v1::MEASURE_CHANGE_KIND_STAGE_CHANGED,
                                                             v1::MEASURE_CHANGE_KIND_RELEASED}));
  EXPECT_EQ(FromProto(late.history(1).at()), T(4, 26));
  EXPECT_EQ(FromProto(late.history(2).at()), T(5, 3));
  EXPECT_EQ(late.version(), 3);
}

TEST(MeasureLifecycle, ExtendAndShortenMoveTheStageEnd) {
  v1::Measure m = StartMeasure("m1", "r1", "g1", kRiskArea, T(4, 11, 15));
  auto longer = Extend(m, 3, T(4, 20), kWorker);
  ASSERT_TRUE(longer.ok()) << longer.status();
  EXPECT_EQ(FromProto(longer->stage_ends_at()), T(4, 29));
  EXPECT_EQ(longer->history(1).kind(), v1::MEASURE_CHANGE_KIND_EXTENDED);
  EXPECT_EQ(longer->history(1).by(), "worker-1");
  EXPECT_EQ(PlanEnd(*longer), T(5, 6));

  auto shorter = Shorten(m, 2, T(4, 20), kWorker);
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(FromProto(shorter->stage_ends_at()), T(4, 24));
  // Shortened past now: ends now, and the next AdvanceDue moves on.
  auto now_ended = Shorten(m, 20, T(4, 20, 9), kWorker);
  ASSERT_TRUE(now_ended.ok());
  EXPECT_EQ(FromProto(now_ended->stage_ends_at()), T(4, 20, 9));
  EXPECT_EQ(AdvanceDue(*now_ended, T(4, 20, 9)).stage_index(), 1);
}

TEST(MeasureLifecycle, EarlyReleaseEndsItAndNothingChangesAfter) {
  v1::Measure m = StartMeasure("m1", "r1", "g1", kHomeIsolation, T(4, 10, 20));
  auto released = Release(m, T(4, 15), {"doctor-1", "确诊排除，解除隔离"});
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->status(), v1::MEASURE_STATUS_RELEASED);
  EXPECT_EQ(FromProto(released->released_at()), T(4, 15));
  EXPECT_EQ(PlanEnd(*released), T(4, 15));
  EXPECT_EQ(Release(*released, T(4, 16), kWorker).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Extend(*released, 1, T(4, 16), kWorker).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(MeasureLifecycle, BadChangeRequestsNameTheField) {
  v1::Measure m = StartMeasure("m1", "r1", "g1", kHomeIsolation, T(4, 10, 20));
  EXPECT_EQ(Extend(m, 0, T(4, 12), kWorker).status().message(), "days: must be 1..60");
  EXPECT_EQ(Shorten(m, 61, T(4, 12), kWorker).status().message(), "days: must be 1..60");
  EXPECT_EQ(Release(m, T(4, 12), {"w", ""}).status().message(), "reason: required");
}

// Peng, in home isolation since 10 April, tests positive on 15 April: the
// positive-test plan (centralized observation) replaces the rest.
TEST(MeasureLifecycle, APositiveTestEscalatesHomeIsolation) {
  v1::Measure m = StartMeasure("m2", "peng", "g1", kHomeIsolation, T(4, 10, 20));
  EXPECT_EQ(FromProto(m.stage_ends_at()), T(4, 25));
  Verdict positive = kRiskArea;
  positive.rule = "positive-test";
  positive.explanation = "核酸检测阳性";
  ASSERT_TRUE(CallsForMore(m, positive, T(4, 15, 9), T(4, 15, 9)));
  auto escalated = Escalate(m, positive, T(4, 15, 9), T(4, 15, 9), "screening");
  ASSERT_TRUE(escalated.ok()) << escalated.status();
  EXPECT_EQ(escalated->rule(), "positive-test");
  EXPECT_EQ(escalated->stage_index(), 0);
  EXPECT_EQ(escalated->plan().stages(0).type(), v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION);
  EXPECT_EQ(FromProto(escalated->stage_ends_at()), T(4, 30));
  EXPECT_EQ(escalated->history(1).kind(), v1::MEASURE_CHANGE_KIND_ESCALATED);
  EXPECT_EQ(escalated->history(1).reason(), "核酸检测阳性：改为集中医学观察14天");
}

// Home isolation from an arrival on 11 April; on the 13th the place
// visited turns out to be a risk area: the stricter plan counts from the
// arrival (as if known at the checkpoint), the change is dated the 13th.
TEST(MeasureLifecycle, ARescreenEscalatesFromTheArrivalAndRecordsTheChangeNow) {
  v1::Measure m = StartMeasure("m3", "r3", "g1", kHomeIsolation, T(4, 11, 15));
  ASSERT_TRUE(CallsForMore(m, kRiskArea, T(4, 11, 15), T(4, 13, 10)));
  auto escalated = Escalate(m, kRiskArea, T(4, 11, 15), T(4, 13, 10), "screening");
  ASSERT_TRUE(escalated.ok()) << escalated.status();
  EXPECT_EQ(FromProto(escalated->stage_ends_at()), T(4, 26));
  EXPECT_EQ(FromProto(escalated->history(1).at()), T(4, 13, 10));
  // Decided again on the 20th: the same plan from the same arrival is not more.
  EXPECT_FALSE(CallsForMore(*escalated, kRiskArea, T(4, 11, 15), T(4, 20)));
}

// The installers' own arrival decided again on 26 April, after they
// stepped down to home isolation (intake's event arriving late, or a
// re-screen): the same plan from the same arrival would have them in home
// isolation by now too, so nothing more; a stricter plan still counts.
TEST(MeasureLifecycle, TheSamePlanDecidedAgainAfterAStepDownAsksNothingMore) {
  v1::Measure m = AdvanceDue(StartMeasure("m4", "r4", "g1", kRiskArea, T(4, 11, 15)),
                             T(4, 26) + absl::Seconds(5));
  ASSERT_EQ(m.stage_index(), 1);
  EXPECT_FALSE(CallsForMore(m, kRiskArea, T(4, 11, 15), T(4, 26) + absl::Seconds(5)));
  // A plan that would be over by now asks nothing either.
  EXPECT_FALSE(CallsForMore(m, kHomeIsolation, T(4, 1), T(4, 26) + absl::Seconds(5)));
  // A new arrival on the 25th from a risk area: centralized observation again.
  EXPECT_TRUE(CallsForMore(m, kRiskArea, T(4, 25, 18), T(4, 26) + absl::Seconds(5)));
  auto escalated = Escalate(m, kRiskArea, T(4, 25, 18), T(4, 26) + absl::Seconds(5), "screening");
  ASSERT_TRUE(escalated.ok()) << escalated.status();
  EXPECT_EQ(escalated->stage_index(), 0);
  EXPECT_EQ(FromProto(escalated->stage_ends_at()), T(5, 10));
}

TEST(MeasureLifecycle, ARescreenWithTheSameOrAMilderPlanChangesNothing) {
  v1::Measure m = StartMeasure("m1", "r1", "g1", kRiskArea, T(4, 11, 15));
  EXPECT_FALSE(CallsForMore(m, kRiskArea, T(4, 11, 15), T(4, 11, 15))) << "same arrival, same plan";
  EXPECT_FALSE(CallsForMore(m, kHomeIsolation, T(4, 12), T(4, 12))) << "milder";
  EXPECT_EQ(Escalate(m, kRiskArea, T(4, 11, 15), T(4, 11, 15), "screening").status().code(),
            absl::StatusCode::kFailedPrecondition);
  Verdict pass;
  pass.decision = v1::DECISION_PASS;
  EXPECT_FALSE(CallsForMore(m, pass, T(4, 12), T(4, 12)));
  // Same type, longer: more.
  Verdict longer = MeasureVerdict("x", {Stage(v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION, 28)});
  EXPECT_TRUE(CallsForMore(m, longer, T(4, 12), T(4, 12)));
}

}  // namespace
}  // namespace gridbridge::screening
