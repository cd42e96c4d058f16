// Risk-area lists: what an admin may send, and which areas apply to a visit.
#include "risk_areas.h"

#include "calendar.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;

const platform::Divisions& Div() { return platform::Divisions::Builtin(); }

google::protobuf::Timestamp At(absl::CivilDay day) {
  return TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(StartOf(day)));
}

v1::RiskArea Area(const std::string& code, v1::RiskLevel level, absl::CivilDay from,
                  std::optional<absl::CivilDay> until = std::nullopt,
                  const std::string& place = "") {
  v1::RiskArea a;
  a.set_division_code(code);
  a.set_place_name(place);
  a.set_level(level);
  *a.mutable_effective_from() = At(from);
  if (until) *a.mutable_effective_until() = At(*until);
  return a;
}

v1::RiskAreaList List(std::initializer_list<v1::RiskArea> areas) {
  v1::RiskAreaList list;
  list.set_version(7);
  for (const auto& a : areas) *list.add_areas() = a;
  return list;
}

const absl::CivilDay kApr1(2022, 4, 1), kApr8(2022, 4, 8), kApr11(2022, 4, 11);
const absl::Time kNow = StartOf(kApr11) + absl::Hours(15);

TEST(RiskAreaList, AnAdminsListIsCheckedAreaByArea) {
  EXPECT_TRUE(ValidateRiskAreas(List({Area("430500", v1::RISK_LEVEL_MEDIUM, kApr1)}), Div()).ok());
  EXPECT_EQ(ValidateRiskAreas(List({Area("430500", v1::RISK_LEVEL_MEDIUM, kApr1),
                                    Area("439999", v1::RISK_LEVEL_HIGH, kApr1)}),
                              Div())
                .message(),
            "areas[1].division_code: '439999' is not a known administrative division (GB/T 2260)");
  EXPECT_EQ(ValidateRiskAreas(List({Area("430500", v1::RISK_LEVEL_LOW, kApr1)}), Div()).message(),
            "areas[0].level: must be RISK_LEVEL_MEDIUM or RISK_LEVEL_HIGH");
  EXPECT_EQ(
      ValidateRiskAreas(List({Area("430500", v1::RISK_LEVEL_HIGH, kApr8, kApr1)}), Div()).message(),
      "areas[0].effective_until: must be after effective_from");
  v1::RiskArea no_start = Area("430500", v1::RISK_LEVEL_HIGH, kApr1);
  no_start.clear_effective_from();
  EXPECT_EQ(ValidateRiskAreas(List({no_start}), Div()).message(),
            "areas[0].effective_from: required");
  EXPECT_EQ(ValidateRiskAreas(List({Area("430500", v1::RISK_LEVEL_HIGH, kApr1, std::nullopt,
                                         std::string("bad\xff", 4))}),
                              Div())
                .message(),
            "areas[0].place_name: not valid UTF-8");
}

TEST(RiskAreaIndex, ACityCoversItsCountiesButACountyOnlyItself) {
  RiskAreaIndex index(List({Area("430500", v1::RISK_LEVEL_MEDIUM, kApr1),
                            Area("440304", v1::RISK_LEVEL_HIGH, kApr1)}),
                      Div());
  EXPECT_EQ(index.Covering("430522", "", kApr8, kNow).size(), 1u) << "Xinshao, in Shaoyang";
  EXPECT_EQ(index.Covering("430500", "", kApr8, kNow).size(), 1u);
  EXPECT_EQ(index.Covering("440304", "", kApr8, kNow).size(), 1u) << "Futian itself";
  EXPECT_TRUE(index.Covering("440306", "", kApr8, kNow).empty()) << "Bao'an is not Futian";
  EXPECT_TRUE(index.Covering("440300", "", kApr8, kNow).empty()) << "Shenzhen as a whole is not";
  EXPECT_TRUE(index.Covering("431102", "", kApr8, kNow).empty());
}

TEST(RiskAreaIndex, TheSameCityCountsForTheCityQuestion) {
  RiskAreaIndex index(List({Area("440304", v1::RISK_LEVEL_HIGH, kApr1)}), Div());
  EXPECT_EQ(index.InCity("440306", kApr8, kNow).size(), 1u) << "Bao'an and Futian: Shenzhen";
  EXPECT_EQ(index.InCity("440300", kApr8, kNow).size(), 1u);
  EXPECT_EQ(index.InCity("440304", kApr8, kNow).size(), 1u);
  EXPECT_TRUE(index.InCity("440106", kApr8, kNow).empty()) << "Guangzhou";
  EXPECT_EQ(index.InCity("440000", kApr8, kNow).size(), 1u) << "somewhere in Guangdong";
  RiskAreaIndex province(List({Area("440000", v1::RISK_LEVEL_MEDIUM, kApr1)}), Div());
  EXPECT_EQ(province.InCity("440306", kApr8, kNow).size(), 1u) << "a province covers its cities";
}

TEST(RiskAreaIndex, AnAreaNamingAPlaceMatchesThatPlaceOrAVisitNamingNone) {
  RiskAreaIndex index(
      List({Area("430502", v1::RISK_LEVEL_HIGH, kApr1, std::nullopt, "东风路街道")}), Div());
  EXPECT_EQ(index.Covering("430502", "东风路街道", kApr8, kNow).size(), 1u);
  EXPECT_EQ(index.Covering("430502", "", kApr8, kNow).size(), 1u) << "missing no one";
  EXPECT_TRUE(index.Covering("430502", "火车站街道", kApr8, kNow).empty());
}

TEST(RiskAreaIndex, AnAreaAppliesIfInForceNowOrOnTheDayOfTheVisit) {
  // Declared after the visit, still in force: applies.
  RiskAreaIndex later(List({Area("430500", v1::RISK_LEVEL_MEDIUM, kApr8 + 2)}), Div());
  EXPECT_EQ(later.Covering("430500", "", kApr8, kNow).size(), 1u);
  // In force on the visit day, lifted since: applies.
  RiskAreaIndex lifted(List({Area("430500", v1::RISK_LEVEL_MEDIUM, kApr1, kApr8 + 1)}), Div());
  EXPECT_EQ(lifted.Covering("430500", "", kApr8, kNow).size(), 1u);
  // Lifted the day before the visit: does not.
  RiskAreaIndex before(List({Area("430500", v1::RISK_LEVEL_MEDIUM, kApr1, kApr8)}), Div());
  EXPECT_TRUE(before.Covering("430500", "", kApr8, kNow).empty());
  // Declared after screening time (a future announcement): not yet.
  RiskAreaIndex future(List({Area("430500", v1::RISK_LEVEL_MEDIUM, kApr11 + 3)}), Div());
  EXPECT_TRUE(future.Covering("430500", "", kApr8, kNow).empty());
}

TEST(Calendar, DaysCountFromTheDayAfterArrival) {
  // Arriving on 11 April, 14 days end at the start of 26 April (China time).
  const absl::Time arrival = StartOf(kApr11) + absl::Hours(15);
  EXPECT_EQ(PeriodEnd(arrival, 14), StartOf(absl::CivilDay(2022, 4, 26)));
  // A period starting at midnight counts that day: 7 days from 26 April.
  EXPECT_EQ(PeriodEnd(StartOf(absl::CivilDay(2022, 4, 26)), 7),
            StartOf(absl::CivilDay(2022, 5, 3)));
  EXPECT_EQ(PeriodEnd(StartOf(kApr11) + absl::Seconds(1), 1), StartOf(kApr11 + 2));
  EXPECT_EQ(DayOf(StartOf(kApr11) - absl::Seconds(1)), kApr11 - 1);
  EXPECT_EQ(absl::FormatTime("%Y-%m-%d %H:%M %z", StartOf(kApr11), ChinaTime()),
            "2022-04-11 00:00 +0800");
}

TEST(Calendar, DaysAgreeWithTheTimeZoneLibrary) {
  // DayOf and StartOf count in arithmetic: the same days as absl's civil
  // time in China time, on both sides of midnight, before 1970 too.
  for (long long s = -400LL * 86400 * 366; s < 200LL * 86400 * 366; s += 7 * 86400 + 3599) {
    for (long long edge : {0LL, 16LL * 3600 - 1, 16LL * 3600, 16LL * 3600 + 1}) {
      const absl::Time t = absl::FromUnixSeconds((s / 86400) * 86400 + edge);
      ASSERT_EQ(DayOf(t), absl::ToCivilDay(t, ChinaTime())) << t;
      ASSERT_EQ(DayOf(t + absl::Nanoseconds(1)),
                absl::ToCivilDay(t + absl::Nanoseconds(1), ChinaTime()))
          << t;
      ASSERT_EQ(StartOf(DayOf(t)), absl::FromCivil(DayOf(t), ChinaTime())) << t;
    }
  }
}

}  // namespace
}  // namespace gridbridge::screening
