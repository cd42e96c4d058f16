#include "ledger_rules.h"

#include <algorithm>
#include <set>

#include "google/protobuf/util/time_util.h"
#include "validation.h"

namespace gridbridge::intake {
namespace {

using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(Cat(field, ": ", why));
}

Timestamp ToProto(absl::Time t) { return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t)); }

absl::StatusOr<absl::Time> FromProto(std::string_view field, const Timestamp& ts, bool required) {
  if (ts.seconds() == 0 && ts.nanos() == 0) {
    if (required) return Invalid(field, "required");
    return absl::InfinitePast();
  }
  if (ts.seconds() < TimeUtil::kTimestampMinSeconds ||
      ts.seconds() > TimeUtil::kTimestampMaxSeconds || ts.nanos() < 0 || ts.nanos() > 999999999) {
    return Invalid(field, "not a valid timestamp");
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::CivilDay Today(absl::Time now) { return absl::ToCivilDay(now, ChinaTime()); }

// `s` with `prefix` before the field path its message starts with: nested
// fields are checked under their own names and given their whole path only
// when a check fails (building every path of every row cost a BulkImport
// row ~7 % of its validation).
absl::Status Under(std::string_view prefix, const absl::Status& s) {
  if (s.ok() || prefix.empty()) return s;
  return absl::Status(s.code(),
                      Cat(prefix, std::string_view(s.message().data(), s.message().size())));
}

absl::Status CheckAddress(std::string_view field, const v1::Address& a) {
  absl::Status s = CheckText("estate", a.estate(), 1, 64);
  if (s.ok()) s = CheckText("building", a.building(), 0, 32);
  if (s.ok()) s = CheckText("unit", a.unit(), 0, 32);
  if (s.ok()) s = CheckText("room", a.room(), 0, 32);
  return s.ok() ? s : Under(Cat(field, "."), s);
}

// The person fields shared by RegisterResident and RecordArrival.
absl::StatusOr<v1::Resident> ValidatePerson(std::string_view prefix, const std::string& name,
                                            const std::string& id_card, const std::string& phone,
                                            absl::Time now, const OpaqueIds& ids) {
  v1::Resident r;
  if (auto s = CheckText("name", name, 1, 64); !s.ok()) return Under(prefix, s);
  auto card = ParseIdCard("id_card_number", id_card, Today(now));
  if (!card.ok()) return Under(prefix, card.status());
  auto normalized_phone = NormalizePhone("phone", phone);
  if (!normalized_phone.ok()) return Under(prefix, normalized_phone.status());
  r.set_resident_id(ids.ResidentId(card->normalized));
  r.set_name(name);
  r.set_id_card_number(card->normalized);
  r.set_phone(*normalized_phone);
  *r.mutable_birth_date() = card->birth_date;
  r.set_sex(card->sex);
  return r;
}

bool HasTag(const v1::Resident& r, v1::ResidentTag tag) {
  return std::find(r.tags().begin(), r.tags().end(), tag) != r.tags().end();
}

}  // namespace

absl::StatusOr<v1::Resident> ValidateRegistration(const v1::RegisterResidentRequest& req,
                                                  absl::Time now, const OpaqueIds& ids) {
  if (auto s = CheckRequestId("request_id", req.request_id()); !s.ok()) return s;
  auto r = ValidatePerson("", req.name(), req.id_card_number(), req.phone(), now, ids);
  if (!r.ok()) return r.status();
  if (!req.has_address()) return Invalid("address", "required");
  if (auto s = CheckAddress("address", req.address()); !s.ok()) return s;
  if (auto s = CheckText("household_id", req.household_id(), 0, 64); !s.ok()) return s;
  if (req.grid_id().empty()) return Invalid("grid_id", "required");
  std::set<int> seen;
  for (int i = 0; i < req.tags_size(); ++i) {
    int tag = req.tags(i);
    if (tag == v1::RESIDENT_TAG_UNSPECIFIED || !v1::ResidentTag_IsValid(tag)) {
      return Invalid(Cat("tags[", i, "]"), "unknown tag");
    }
    if (!seen.insert(tag).second) return Invalid(Cat("tags[", i, "]"), "duplicate tag");
  }
  *r->mutable_address() = req.address();
  r->set_household_id(req.household_id());
  r->set_grid_id(req.grid_id());
  for (int tag : seen) r->add_tags(static_cast<v1::ResidentTag>(tag));
  return r;
}

v1::Resident ApplyRegistration(const v1::Resident* current, const v1::Resident& incoming,
                               absl::Time now) {
  v1::Resident next = incoming;
  if (current != nullptr) {
    *next.mutable_doses() = current->doses();
    if (current->has_latest_test()) *next.mutable_latest_test() = current->latest_test();
    *next.mutable_create_time() = current->create_time();
    next.set_version(current->version() + 1);
  } else {
    *next.mutable_create_time() = ToProto(now);
    next.set_version(1);
  }
  *next.mutable_update_time() = ToProto(now);
  return next;
}

absl::StatusOr<ArrivalDraft> ValidateArrival(const v1::RecordArrivalRequest& req, absl::Time now,
                                             const OpaqueIds& ids) {
  if (auto s = CheckRequestId("request_id", req.request_id()); !s.ok()) return s;
  if (!req.has_person()) return Invalid("person", "required");
  auto person = ValidatePerson("person.", req.person().name(), req.person().id_card_number(),
                               req.person().phone(), now, ids);
  if (!person.ok()) return person.status();
  if (auto s = CheckDivisionCode("origin_division_code", req.origin_division_code()); !s.ok()) {
    return s;
  }
  auto arrival_time = FromProto("arrival_time", req.arrival_time(), true);
  if (!arrival_time.ok()) return arrival_time.status();
  if (*arrival_time > now + absl::Minutes(5)) return Invalid("arrival_time", "in the future");
  if (*arrival_time < now - absl::Hours(24 * 30)) {
    return Invalid("arrival_time", "more than 30 days ago");
  }
  if (req.visited_places_size() > 50) return Invalid("visited_places", "at most 50 places");
  absl::CivilDay arrival_day = absl::ToCivilDay(*arrival_time, ChinaTime());
  for (int i = 0; i < req.visited_places_size(); ++i) {
    const auto& place = req.visited_places(i);
    std::string field = Cat("visited_places[", i, "]");
    if (auto s = CheckDivisionCode(field + ".division_code", place.division_code()); !s.ok()) {
      return s;
    }
    if (auto s = CheckText(field + ".place_name", place.place_name(), 0, 64); !s.ok()) return s;
    if (!place.has_date()) return Invalid(field + ".date", "required");
    if (auto s = CheckDate(field + ".date", place.date(), arrival_day - 14, arrival_day); !s.ok()) {
      return Invalid(field + ".date", "must be within the 14 days up to the arrival day");
    }
  }
  if (req.travel_mode() == v1::TRAVEL_MODE_UNSPECIFIED ||
      !v1::TravelMode_IsValid(req.travel_mode())) {
    return Invalid("travel_mode", "required");
  }
  if (req.health_code() == v1::HEALTH_CODE_COLOR_UNSPECIFIED ||
      !v1::HealthCodeColor_IsValid(req.health_code())) {
    return Invalid("health_code", "required (green, yellow or red)");
  }
  ArrivalDraft draft;
  v1::Arrival& a = draft.arrival;
  bool needs_plate =
      req.travel_mode() == v1::TRAVEL_MODE_CAR || req.travel_mode() == v1::TRAVEL_MODE_BUS;
  if (needs_plate || !req.vehicle_plate().empty()) {
    if (needs_plate && req.vehicle_plate().empty()) {
      return Invalid("vehicle_plate", "required for travel by car or bus");
    }
    auto plate = NormalizePlate("vehicle_plate", req.vehicle_plate());
    if (!plate.ok()) return plate.status();
    a.set_vehicle_plate(*plate);
    a.set_vehicle_id(ids.VehicleId(*plate));
  }
  if (!req.has_destination()) return Invalid("destination", "required");
  if (auto s = CheckAddress("destination", req.destination()); !s.ok()) return s;
  if (req.grid_id().empty()) return Invalid("grid_id", "required");
  if (auto s = CheckText("reason", req.reason(), 0, 200); !s.ok()) return s;

  draft.person = std::move(*person);
  *draft.person.mutable_address() = req.destination();
  draft.person.set_grid_id(req.grid_id());
  a.set_resident_id(draft.person.resident_id());
  a.set_grid_id(req.grid_id());
  a.set_origin_division_code(req.origin_division_code());
  *a.mutable_visited_places() = req.visited_places();
  *a.mutable_arrival_time() = req.arrival_time();
  a.set_travel_mode(req.travel_mode());
  a.set_health_code(req.health_code());
  *a.mutable_destination() = req.destination();
  a.set_reason(req.reason());
  return draft;
}

absl::Status ValidateHealthStatus(const v1::RecordHealthStatusRequest& req, absl::Time now) {
  if (auto s = CheckRequestId("request_id", req.request_id()); !s.ok()) return s;
  if (req.resident_id().empty()) return Invalid("resident_id", "required");
  if (req.doses_size() == 0 && req.tests_size() == 0) {
    return Invalid("doses", "at least one dose or test is required");
  }
  if (req.doses_size() > 10 || req.tests_size() > 50) {
    return Invalid("tests", "at most 10 doses and 50 tests per call");
  }
  for (int i = 0; i < req.doses_size(); ++i) {
    const auto& d = req.doses(i);
    std::string field = Cat("doses[", i, "]");
    if (d.dose_number() < 1 || d.dose_number() > 10) {
      return Invalid(field + ".dose_number", "must be 1..10");
    }
    if (!d.has_date()) return Invalid(field + ".date", "required");
    if (auto s = CheckDate(field + ".date", d.date(), absl::CivilDay(2020, 1, 1), Today(now));
        !s.ok()) {
      return s;
    }
    if (auto s = CheckText(field + ".vaccine", d.vaccine(), 0, 64); !s.ok()) return s;
  }
  for (int i = 0; i < req.tests_size(); ++i) {
    const auto& t = req.tests(i);
    std::string field = Cat("tests[", i, "]");
    auto sample = FromProto(field + ".sample_time", t.sample_time(), true);
    if (!sample.ok()) return sample.status();
    if (*sample > now + absl::Minutes(5)) return Invalid(field + ".sample_time", "in the future");
    if (t.result() == v1::TEST_RESULT_UNSPECIFIED || !v1::TestResult_IsValid(t.result())) {
      return Invalid(field + ".result", "required");
    }
    auto result_time =
        FromProto(field + ".result_time", t.result_time(), t.result() != v1::TEST_RESULT_PENDING);
    if (!result_time.ok()) return result_time.status();
    if (t.result() != v1::TEST_RESULT_PENDING &&
        (*result_time < *sample || *result_time > now + absl::Minutes(5))) {
      return Invalid(field + ".result_time", "must be between sample_time and now");
    }
  }
  return absl::OkStatus();
}

v1::Resident ApplyHealthStatus(const v1::Resident& current,
                               const v1::RecordHealthStatusRequest& req, absl::Time now) {
  v1::Resident next = current;
  for (const auto& dose : req.doses()) {
    auto* doses = next.mutable_doses();
    auto it = std::find_if(doses->begin(), doses->end(), [&](const v1::VaccinationDose& d) {
      return d.dose_number() == dose.dose_number();
    });
    if (it != doses->end())
      *it = dose;
    else
      *doses->Add() = dose;
  }
  std::sort(next.mutable_doses()->begin(), next.mutable_doses()->end(),
            [](const auto& a, const auto& b) { return a.dose_number() < b.dose_number(); });
  for (const auto& test : req.tests()) {
    if (!next.has_latest_test() || test.sample_time() >= next.latest_test().sample_time()) {
      *next.mutable_latest_test() = test;
    }
  }
  next.set_version(current.version() + 1);
  *next.mutable_update_time() = ToProto(now);
  return next;
}

absl::StatusOr<v1::Visit> ValidateVisit(const v1::RecordVisitRequest& req, absl::Time now) {
  if (auto s = CheckRequestId("request_id", req.request_id()); !s.ok()) return s;
  if (req.resident_id().empty()) return Invalid("resident_id", "required");
  if (req.channel() == v1::VISIT_CHANNEL_UNSPECIFIED || !v1::VisitChannel_IsValid(req.channel())) {
    return Invalid("channel", "required (phone, household or wechat_group)");
  }
  if (req.outcome() == v1::VISIT_OUTCOME_UNSPECIFIED || !v1::VisitOutcome_IsValid(req.outcome())) {
    return Invalid("outcome", "required");
  }
  if (auto s = CheckText("note", req.note(), 0, 2000, true); !s.ok()) return s;
  auto when = FromProto("visit_time", req.visit_time(), false);
  if (!when.ok()) return when.status();
  if (*when == absl::InfinitePast()) *when = now;
  if (*when > now + absl::Minutes(5)) return Invalid("visit_time", "in the future");
  if (*when < now - absl::Hours(24 * 30)) return Invalid("visit_time", "more than 30 days ago");
  v1::Visit v;
  v.set_resident_id(req.resident_id());
  v.set_channel(req.channel());
  v.set_outcome(req.outcome());
  v.set_note(req.note());
  *v.mutable_visit_time() = ToProto(*when);
  return v;
}

absl::StatusOr<v1::HelpRequest> ValidateHelpRequest(const v1::RequestHelpRequest& req,
                                                    absl::Time now) {
  if (auto s = CheckRequestId("request_id", req.request_id()); !s.ok()) return s;
  if (req.resident_id().empty()) return Invalid("resident_id", "required");
  if (req.kind() == v1::HELP_KIND_UNSPECIFIED || !v1::HelpKind_IsValid(req.kind())) {
    return Invalid("kind", "required");
  }
  if (req.urgency() == v1::URGENCY_UNSPECIFIED || !v1::Urgency_IsValid(req.urgency())) {
    return Invalid("urgency", "required");
  }
  if (auto s = CheckText("description", req.description(), 1, 2000, true); !s.ok()) return s;
  v1::HelpRequest h;
  h.set_resident_id(req.resident_id());
  h.set_kind(req.kind());
  h.set_urgency(req.urgency());
  h.set_description(req.description());
  h.set_status(v1::HELP_REQUEST_STATUS_OPEN);
  *h.mutable_request_time() = ToProto(now);
  return h;
}

absl::StatusOr<v1::DisputeLead> ValidateDisputeLead(const v1::ReportDisputeLeadRequest& req,
                                                    absl::Time now) {
  if (auto s = CheckRequestId("request_id", req.request_id()); !s.ok()) return s;
  if (req.grid_id().empty()) return Invalid("grid_id", "required");
  if (req.source() == v1::LEAD_SOURCE_UNSPECIFIED || !v1::LeadSource_IsValid(req.source())) {
    return Invalid("source", "required (patrol, resident or hotline)");
  }
  if (req.parties_size() < 1 || req.parties_size() > 20) return Invalid("parties", "1..20 parties");
  for (int i = 0; i < req.parties_size(); ++i) {
    const auto& p = req.parties(i);
    std::string field = Cat("parties[", i, "]");
    if (p.party_case() == v1::DisputeParty::PARTY_NOT_SET) {
      return Invalid(field, "a resident_id or a description is required");
    }
    if (p.has_description()) {
      if (auto s = CheckText(field + ".description", p.description(), 1, 200); !s.ok()) return s;
    } else if (p.resident_id().empty()) {
      return Invalid(field + ".resident_id", "empty");
    }
  }
  if (auto s = CheckText("place", req.place(), 0, 200); !s.ok()) return s;
  if (req.category() == v1::DISPUTE_CATEGORY_UNSPECIFIED ||
      !v1::DisputeCategory_IsValid(req.category())) {
    return Invalid("category", "required");
  }
  if (auto s = CheckText("description", req.description(), 1, 2000, true); !s.ok()) return s;
  v1::DisputeLead lead;
  lead.set_grid_id(req.grid_id());
  lead.set_source(req.source());
  *lead.mutable_parties() = req.parties();
  lead.set_place(req.place());
  lead.set_category(req.category());
  lead.set_description(req.description());
  lead.set_status(v1::LEAD_STATUS_OPEN);
  *lead.mutable_report_time() = ToProto(now);
  return lead;
}

ResidentCounterDelta DiffCounters(const v1::Resident* before, const v1::Resident& after) {
  ResidentCounterDelta d;
  auto vaccinated = [](const v1::Resident* r) { return r != nullptr && r->doses_size() > 0; };
  auto key = [](const v1::Resident* r) {
    return r != nullptr && HasTag(*r, v1::RESIDENT_TAG_KEY_POPULATION);
  };
  d.residents = before == nullptr ? 1 : 0;
  d.vaccinated = static_cast<long long>(vaccinated(&after)) - vaccinated(before);
  d.key_population = static_cast<long long>(key(&after)) - key(before);
  return d;
}

v1::ResidentSnapshot Snapshot(const v1::Resident& r) {
  v1::ResidentSnapshot s;
  s.set_resident_id(r.resident_id());
  s.set_grid_id(r.grid_id());
  s.set_household_id(r.household_id());
  s.set_estate(r.address().estate());
  *s.mutable_tags() = r.tags();
  s.set_birth_year(r.birth_date().year());
  s.set_sex(r.sex());
  *s.mutable_doses() = r.doses();
  if (r.has_latest_test()) *s.mutable_latest_test() = r.latest_test();
  return s;
}

void RedactPersonalData(v1::Resident* r) {
  r->clear_name();
  r->clear_id_card_number();
  r->clear_phone();
  std::string estate = r->address().estate();
  r->clear_address();
  r->mutable_address()->set_estate(estate);
  r->clear_birth_date();
}

void RedactPersonalData(v1::Arrival* a) {
  a->clear_vehicle_plate();
  std::string estate = a->destination().estate();
  a->clear_destination();
  a->mutable_destination()->set_estate(estate);
}

absl::Time StartOfWeek(absl::Time now) {
  absl::CivilDay day = absl::ToCivilDay(now, ChinaTime());
  int since_monday =
      (static_cast<int>(absl::GetWeekday(day)) - static_cast<int>(absl::Weekday::monday) + 7) % 7;
  return absl::FromCivil(day - since_monday, ChinaTime());
}

}  // namespace gridbridge::intake
