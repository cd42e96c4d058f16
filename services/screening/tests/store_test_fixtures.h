#pragma once
// What the in-process store tests (measure timers, decision recorder) share:
// one grid, dates of the 2022 story in China time, and the risk-area plan.
#include "absl/time/time.h"
#include "calendar.h"
#include "screening_engine.h"

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

}  // namespace gridbridge::screening::test
