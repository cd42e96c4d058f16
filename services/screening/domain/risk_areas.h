#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "divisions.h"
#include "gridbridge/screening/v1/risk_area.pb.h"

namespace gridbridge::screening {

// Checks a risk-area list as an admin sends it: every division code exists
// (GB/T 2260), level MEDIUM or HIGH, effective_from set and before
// effective_until. INVALID_ARGUMENT naming the area, e.g.
//   "areas[3].division_code: 439999 is not a known administrative division"
absl::Status ValidateRiskAreas(const v1::RiskAreaList& list, const platform::Divisions& divisions);

// The risk areas of one list, indexed for the question screening asks of
// each visited place: which areas apply to it. An area applies when it is
// in force now (at screening time) or was on the day of the visit: a list
// change therefore re-screens past arrivals (see the re-screening job).
class RiskAreaIndex {
 public:
  // `list` must have passed ValidateRiskAreas.
  RiskAreaIndex(v1::RiskAreaList list, const platform::Divisions& divisions);

  // Areas covering the visited place (its division, or the city or province
  // around it; an area naming a finer place matches that place, or a visit
  // that names none), in force at `now` or during `day`.
  std::vector<const v1::RiskArea*> Covering(const std::string& division_code,
                                            const std::string& place_name, absl::CivilDay day,
                                            absl::Time now) const;
  // Areas anywhere in the visited place's city (prefecture; the whole
  // province for a province-level code), including those covering it, in
  // force at `now` or during `day`.
  std::vector<const v1::RiskArea*> InCity(const std::string& division_code, absl::CivilDay day,
                                          absl::Time now) const;

  const v1::RiskAreaList& list() const { return list_; }

 private:
  bool InForce(const v1::RiskArea& area, absl::CivilDay day, absl::Time now) const;

  v1::RiskAreaList list_;
  const platform::Divisions& divisions_;
  absl::flat_hash_map<std::string, std::vector<int>> by_code_;     // area's own code
  absl::flat_hash_map<std::string, std::vector<int>> by_prefix4_;  // city/county areas
  absl::flat_hash_map<std::string, std::vector<int>> by_prefix2_;  // all areas
};

}  // namespace gridbridge::screening
