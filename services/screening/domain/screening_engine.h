#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "divisions.h"
#include "gridbridge/intake/v1/ledger.pb.h"
#include "gridbridge/intake/v1/resident.pb.h"
#include "gridbridge/screening/v1/policy.pb.h"
#include "risk_areas.h"

namespace gridbridge::screening {

// What screening knows about a person when it decides: from a checkpoint
// (ScreenArrival) or from intake's arrival and health-status events.
struct Situation {
  intake::v1::HealthCodeColor health_code = intake::v1::HEALTH_CODE_COLOR_UNSPECIFIED;
  absl::Time arrival_time;
  struct Visit {
    std::string division_code;
    std::string place_name;  // may be empty
    absl::CivilDay day;
  };
  std::vector<Visit> visits;  // the itinerary (行程)
  int doses = 0;              // vaccine doses received
  struct Test {
    absl::Time sample_time;
    intake::v1::TestResult result = intake::v1::TEST_RESULT_UNSPECIFIED;
  };
  std::vector<Test> tests;  // any order
  // Venue-code scans close in time to a positive case's scan there.
  struct Exposure {
    std::string venue_name;
    absl::Time scanned_at;       // this person's scan
    absl::Time case_scanned_at;  // the case's scan
  };
  std::vector<Exposure> exposures;
};

// The itinerary part of a situation from anything shaped like an arrival
// (intake's Arrival, a RecordArrivalRequest); health is added by the caller.
template <typename ArrivalLike>
Situation ArrivalSituation(const ArrivalLike& a) {
  Situation s;
  s.health_code = a.health_code();
  s.arrival_time = absl::FromUnixSeconds(a.arrival_time().seconds()) +
                   absl::Nanoseconds(a.arrival_time().nanos());
  for (const auto& v : a.visited_places()) {
    s.visits.push_back({v.division_code(), v.place_name(),
                        absl::CivilDay(v.date().year(), v.date().month(), v.date().day())});
  }
  return s;
}

// Adds the test screening last heard of.
void AddTest(const intake::v1::NucleicAcidTest& test, Situation* s);

// Bad input for screening, INVALID_ARGUMENT naming the field: an unknown
// division code, a visit after the arrival day or in the future, an
// arrival in the future (beyond 5 minutes of clock skew).
absl::Status CheckSituation(const Situation& s, absl::Time now,
                            const platform::Divisions& divisions);

// A decision with everything needed to explain and audit it.
struct Verdict {
  v1::Decision decision = v1::DECISION_UNSPECIFIED;
  std::string rule;         // the rule that decided
  std::string explanation;  // the rule's explanation
  std::string policy_version;
  long long risk_list_version = 0;
  v1::MeasurePlan plan;        // DECISION_MEASURE
  std::vector<int> test_days;  // DECISION_PASS_WITH_TEST
  // Facts that made the rule hold, in words a grid worker understands
  // (Chinese), e.g. "2022-04-08到访湖南省邵阳市 (430500)（抵达前3天），该地为中风险地区".
  std::vector<std::string> reasons;
};

// Applies `policy` (checked by LoadPolicy) to a situation (checked by
// CheckSituation): the first rule whose condition holds decides. Pure:
// the same inputs always give the same verdict, so it can be re-run when
// the risk areas change.
Verdict Screen(const v1::Policy& policy, const RiskAreaIndex& risk_areas,
               const platform::Divisions& divisions, const Situation& situation, absl::Time now);

}  // namespace gridbridge::screening
