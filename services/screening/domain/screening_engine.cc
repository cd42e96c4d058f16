#include "screening_engine.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "calendar.h"

namespace gridbridge::screening {
namespace {

const char* ColourName(intake::v1::HealthCodeColor c) {
  switch (c) {
    case intake::v1::HEALTH_CODE_COLOR_GREEN:
      return "绿码";
    case intake::v1::HEALTH_CODE_COLOR_YELLOW:
      return "黄码";
    case intake::v1::HEALTH_CODE_COLOR_RED:
      return "红码";
    default:
      return "健康码未知";
  }
}

const char* LevelName(v1::RiskLevel level) {
  switch (level) {
    case v1::RISK_LEVEL_HIGH:
      return "高风险地区";
    case v1::RISK_LEVEL_MEDIUM:
      return "中风险地区";
    default:
      return "低风险地区";
  }
}

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

std::string AreaText(const v1::RiskArea& a, const platform::Divisions& divisions) {
  std::string where = divisions.Describe(a.division_code());
  if (!a.place_name().empty()) absl::StrAppend(&where, a.place_name());
  return where;
}

// The strongest risk area of `areas` (HIGH before MEDIUM), or nullptr.
const v1::RiskArea* Strongest(const std::vector<const v1::RiskArea*>& areas) {
  const v1::RiskArea* best = nullptr;
  for (const auto* a : areas) {
    if (best == nullptr || a->level() > best->level()) best = a;
  }
  return best;
}

// Evaluates one condition; appends the facts that made it hold.
class ConditionCheck {
 public:
  ConditionCheck(const v1::Policy& policy, const RiskAreaIndex& risk_areas,
                 const platform::Divisions& divisions, const Situation& s, absl::Time now)
      : policy_(policy), risk_areas_(risk_areas), divisions_(divisions), s_(s), now_(now) {}

  bool Holds(const v1::Condition& c, std::vector<std::string>* reasons) const {
    std::vector<std::string> facts;
    if (c.health_code_in_size() > 0) {
      if (std::find(c.health_code_in().begin(), c.health_code_in().end(), s_.health_code) ==
          c.health_code_in().end()) {
        return false;
      }
      facts.push_back(absl::StrCat("健康码为", ColourName(s_.health_code)));
    }
    const int within =
        c.visited_within_days() > 0 ? c.visited_within_days() : policy_.lookback_days();
    if (c.visited_risk_at_least() != v1::RISK_LEVEL_UNSPECIFIED &&
        !VisitedRisk(c.visited_risk_at_least(), within, /*city=*/false, &facts)) {
      return false;
    }
    if (c.visited_city_risk_at_least() != v1::RISK_LEVEL_UNSPECIFIED &&
        !VisitedRisk(c.visited_city_risk_at_least(), within, /*city=*/true, &facts)) {
      return false;
    }
    if (c.doses_below() > 0) {
      if (s_.doses >= c.doses_below()) return false;
      // StrCat, not StrFormat: these facts are worded for many arrivals
      // (unvaccinated, untested), and parsing a format cost ~1 % of a decision.
      facts.push_back(absl::StrCat("已接种疫苗", s_.doses, "剂（少于", c.doses_below(), "剂）"));
    }
    if (c.no_negative_test_within_hours() > 0) {
      const absl::Time from = s_.arrival_time - absl::Hours(c.no_negative_test_within_hours());
      for (const auto& t : s_.tests) {
        if (t.result == intake::v1::TEST_RESULT_NEGATIVE && t.sample_time >= from &&
            t.sample_time <= s_.arrival_time) {
          return false;
        }
      }
      facts.push_back(
          absl::StrCat("抵达前", c.no_negative_test_within_hours(), "小时内无核酸阴性结果"));
    }
    if (c.venue_exposure()) {
      if (s_.exposures.empty()) return false;
      const auto& e = s_.exposures.front();
      facts.push_back(absl::StrFormat(
          "%s在%s扫场所码，与核酸阳性人员到场时间相差%d分钟",
          absl::FormatTime("%Y-%m-%d %H:%M", e.scanned_at, ChinaTime()), e.venue_name,
          static_cast<int>(
              absl::ToInt64Minutes(absl::AbsDuration(e.scanned_at - e.case_scanned_at)))));
    }
    if (c.positive_test()) {
      const Situation::Test* latest = nullptr;
      for (const auto& t : s_.tests) {
        if (t.result == intake::v1::TEST_RESULT_PENDING) continue;
        if (latest == nullptr || t.sample_time > latest->sample_time) latest = &t;
      }
      if (latest == nullptr || latest->result != intake::v1::TEST_RESULT_POSITIVE) return false;
      facts.push_back(
          absl::StrCat("最近一次核酸检测阳性（采样于",
                       absl::FormatTime("%Y-%m-%d %H:%M", latest->sample_time, ChinaTime()), "）"));
    }
    reasons->insert(reasons->end(), facts.begin(), facts.end());
    return true;
  }

 private:
  // A visit within `within` days before arrival to (or, with `city`, in the
  // city of) a risk area of at least `level`: the first such visit, with its
  // strongest area, becomes the reason.
  bool VisitedRisk(v1::RiskLevel level, int within, bool city,
                   std::vector<std::string>* facts) const {
    const absl::CivilDay arrival = DayOf(s_.arrival_time);
    for (const auto& v : s_.visits) {
      const long days_before = arrival - v.day;
      if (days_before < 0 || days_before > within) continue;
      std::vector<const v1::RiskArea*> areas =
          city ? risk_areas_.InCity(v.division_code, v.day, now_)
               : risk_areas_.Covering(v.division_code, v.place_name, v.day, now_);
      const v1::RiskArea* area = Strongest(areas);
      if (area == nullptr || area->level() < level) continue;
      std::string place = divisions_.Describe(v.division_code);
      if (!v.place_name.empty()) absl::StrAppend(&place, v.place_name);
      std::string fact =
          absl::StrCat(DayText(v.day), "到访", place, "（抵达前", days_before, "天），");
      if (city) {
        absl::StrAppend(&fact, "所在城市有", LevelName(area->level()), AreaText(*area, divisions_));
      } else if (area->division_code() == v.division_code && area->place_name().empty()) {
        absl::StrAppend(&fact, "属", LevelName(area->level()));
      } else {
        absl::StrAppend(&fact, "属", LevelName(area->level()), "（", AreaText(*area, divisions_),
                        "）");
      }
      facts->push_back(std::move(fact));
      return true;
    }
    return false;
  }

  const v1::Policy& policy_;
  const RiskAreaIndex& risk_areas_;
  const platform::Divisions& divisions_;
  const Situation& s_;
  absl::Time now_;
};

}  // namespace

void AddTest(const intake::v1::NucleicAcidTest& test, Situation* s) {
  s->tests.push_back({absl::FromUnixSeconds(test.sample_time().seconds()) +
                          absl::Nanoseconds(test.sample_time().nanos()),
                      test.result()});
}

absl::Status CheckSituation(const Situation& s, absl::Time now,
                            const platform::Divisions& divisions) {
  if (s.arrival_time > now + absl::Minutes(5)) {
    return absl::InvalidArgumentError("arrival_time: in the future");
  }
  const absl::CivilDay arrival = DayOf(s.arrival_time);
  for (size_t i = 0; i < s.visits.size(); ++i) {
    const auto& v = s.visits[i];
    const std::string at = absl::StrCat("visited_places[", i, "].");
    if (divisions.Find(v.division_code) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, "division_code: '", v.division_code,
                       "' is not a known administrative division (GB/T 2260)"));
    }
    if (v.day > arrival) {
      return absl::InvalidArgumentError(absl::StrCat(at, "date: after the arrival day"));
    }
  }
  if (s.doses < 0 || s.doses > 10) return absl::InvalidArgumentError("doses: must be 0..10");
  for (size_t i = 0; i < s.tests.size(); ++i) {
    if (s.tests[i].sample_time > now + absl::Minutes(5)) {
      return absl::InvalidArgumentError(absl::StrCat("tests[", i, "].sample_time: in the future"));
    }
  }
  return absl::OkStatus();
}

Verdict Screen(const v1::Policy& policy, const RiskAreaIndex& risk_areas,
               const platform::Divisions& divisions, const Situation& situation, absl::Time now) {
  Verdict v;
  v.policy_version = policy.version();
  v.risk_list_version = risk_areas.list().version();
  ConditionCheck check(policy, risk_areas, divisions, situation, now);
  for (const v1::Rule& rule : policy.rules()) {
    std::vector<std::string> reasons;
    if (!check.Holds(rule.when(), &reasons)) continue;
    v.decision = rule.decision();
    v.rule = rule.name();
    v.explanation = rule.explanation();
    v.plan = rule.plan();
    v.test_days.assign(rule.test_days().begin(), rule.test_days().end());
    v.reasons = std::move(reasons);
    return v;
  }
  // LoadPolicy makes the last rule unconditional; a policy that skipped it
  // still gets an explainable answer.
  v.decision = v1::DECISION_PASS;
  v.rule = "no-rule-matched";
  v.explanation = "没有规则适用";
  return v;
}

}  // namespace gridbridge::screening
