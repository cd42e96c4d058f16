#include "risk_areas.h"

#include "absl/strings/str_cat.h"
#include "calendar.h"
#include "google/protobuf/util/time_util.h"
#include "text_checks.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

std::string Prefix(const std::string& code, size_t n) { return code.substr(0, n); }

// Within the range google.protobuf.Timestamp allows (years 1..9999).
bool IsValid(const google::protobuf::Timestamp& t) {
  return t.seconds() >= -62135596800LL && t.seconds() <= 253402300799LL && t.nanos() >= 0 &&
         t.nanos() < 1000000000;
}

}  // namespace

absl::Status ValidateRiskAreas(const v1::RiskAreaList& list, const platform::Divisions& divisions) {
  if (list.areas_size() > 100000) return absl::InvalidArgumentError("areas: at most 100000");
  for (int i = 0; i < list.areas_size(); ++i) {
    const v1::RiskArea& a = list.areas(i);
    const std::string at = absl::StrCat("areas[", i, "].");
    auto bad = [&](const char* field, const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat(at, field, ": ", why));
    };
    if (divisions.Find(a.division_code()) == nullptr) {
      return bad("division_code",
                 "'" + a.division_code() + "' is not a known administrative division (GB/T 2260)");
    }
    if (absl::Status s = platform::CheckText(at + "place_name", a.place_name(), 0, 64); !s.ok()) {
      return s;
    }
    if (a.level() != v1::RISK_LEVEL_MEDIUM && a.level() != v1::RISK_LEVEL_HIGH) {
      return bad("level", "must be RISK_LEVEL_MEDIUM or RISK_LEVEL_HIGH");
    }
    if (!a.has_effective_from()) return bad("effective_from", "required");
    if (!IsValid(a.effective_from()) ||
        (a.has_effective_until() && !IsValid(a.effective_until()))) {
      return bad("effective_from", "not a valid timestamp");
    }
    if (a.has_effective_until() && a.effective_until() <= a.effective_from()) {
      return bad("effective_until", "must be after effective_from");
    }
  }
  return absl::OkStatus();
}

RiskAreaIndex::RiskAreaIndex(v1::RiskAreaList list, const platform::Divisions& divisions)
    : list_(std::move(list)), divisions_(divisions) {
  for (int i = 0; i < list_.areas_size(); ++i) {
    const std::string& code = list_.areas(i).division_code();
    by_code_[code].push_back(i);
    by_prefix2_[Prefix(code, 2)].push_back(i);
    const platform::Division* d = divisions_.Find(code);
    if (d != nullptr && d->level != platform::DivisionLevel::kProvince) {
      by_prefix4_[Prefix(code, 4)].push_back(i);
    }
  }
}

bool RiskAreaIndex::InForce(const v1::RiskArea& area, absl::CivilDay day, absl::Time now) const {
  const absl::Time from = ToTime(area.effective_from());
  const absl::Time until =
      area.has_effective_until() ? ToTime(area.effective_until()) : absl::InfiniteFuture();
  if (from <= now && now < until) return true;
  return from < StartOf(day + 1) && until > StartOf(day);
}

std::vector<const v1::RiskArea*> RiskAreaIndex::Covering(const std::string& division_code,
                                                         const std::string& place_name,
                                                         absl::CivilDay day, absl::Time now) const {
  std::vector<const v1::RiskArea*> out;
  if (division_code.size() != 6) return out;
  std::string keys[] = {division_code, Prefix(division_code, 4) + "00",
                        Prefix(division_code, 2) + "0000"};
  for (int k = 0; k < 3; ++k) {
    if (k > 0 && keys[k] == keys[k - 1]) continue;
    auto it = by_code_.find(keys[k]);
    if (it == by_code_.end()) continue;
    for (int i : it->second) {
      const v1::RiskArea& a = list_.areas(i);
      if (!divisions_.Covers(a.division_code(), division_code)) continue;
      if (!a.place_name().empty() && !place_name.empty() && a.place_name() != place_name) {
        continue;
      }
      if (InForce(a, day, now)) out.push_back(&a);
    }
  }
  return out;
}

std::vector<const v1::RiskArea*> RiskAreaIndex::InCity(const std::string& division_code,
                                                       absl::CivilDay day, absl::Time now) const {
  std::vector<const v1::RiskArea*> out;
  const platform::Division* d = divisions_.Find(division_code);
  if (d == nullptr) return out;
  auto add = [&](const absl::flat_hash_map<std::string, std::vector<int>>& map,
                 const std::string& key, bool provinces_only) {
    auto it = map.find(key);
    if (it == map.end()) return;
    for (int i : it->second) {
      const v1::RiskArea& a = list_.areas(i);
      if (provinces_only && a.division_code().substr(2) != "0000") continue;
      if (InForce(a, day, now)) out.push_back(&a);
    }
  };
  if (d->level == platform::DivisionLevel::kProvince) {
    add(by_prefix2_, Prefix(division_code, 2), false);
  } else {
    add(by_prefix4_, Prefix(division_code, 4), false);
    add(by_prefix2_, Prefix(division_code, 2), true);
  }
  return out;
}

}  // namespace gridbridge::screening
