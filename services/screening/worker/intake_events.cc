#include "intake_events.h"

#include "google/protobuf/util/time_util.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "screening_engine.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

common::v1::Actor ServiceActor() {
  common::v1::Actor actor;
  actor.set_subject("screening");
  return actor;
}

void AddTest(const intake::v1::NucleicAcidTest& t, Situation* s) {
  s->tests.push_back({FromProto(t.sample_time()), t.result()});
}

}  // namespace

absl::Status IntakeEventHandler::Handle(const platform::ConsumedRecord& record) {
  if (record.topic == kIntakeArrivalTopic) return HandleArrival(record);
  if (record.topic == kIntakeHealthStatusTopic) return HandleHealth(record);
  return absl::InvalidArgumentError("screening does not consume " + record.topic);
}

absl::Status IntakeEventHandler::HandleArrival(const platform::ConsumedRecord& record) {
  intake::v1::ArrivalRecorded event;
  if (!event.ParseFromString(record.value) || event.arrival().resident_id().empty() ||
      event.arrival().grid_id().empty() || event.arrival().arrival_id().empty()) {
    return absl::InvalidArgumentError("not an ArrivalRecorded with resident, grid and arrival ids");
  }
  const intake::v1::Arrival& a = event.arrival();
  const absl::Time now = deps_.clock.Now();
  Situation s;
  s.health_code = a.health_code();
  s.arrival_time = FromProto(a.arrival_time());
  for (const auto& v : a.visited_places()) {
    s.visits.push_back({v.division_code(), v.place_name(),
                        absl::CivilDay(v.date().year(), v.date().month(), v.date().day())});
  }
  // An event is checked against now too: intake accepted it earlier, and
  // its arrival time is in the past by now.
  if (absl::Status st = CheckSituation(s, std::max(now, s.arrival_time), deps_.divisions);
      !st.ok()) {
    return st;
  }
  auto person = deps_.store.GetPerson(a.grid_id(), a.resident_id());
  if (!person.ok()) return person.status();
  s.doses = person->value.doses();
  if (person->value.has_latest_test()) AddTest(person->value.latest_test(), &s);
  auto risk_areas = deps_.risk_areas.Current();
  if (!risk_areas.ok()) return risk_areas.status();
  Verdict verdict = Screen(*deps_.policy.Current(), **risk_areas, deps_.divisions, s, now);
  if (absl::Status st = deps_.store.RememberGrids({{a.resident_id(), a.grid_id()}}); !st.ok()) {
    return st;
  }
  auto decided = deps_.decisions.Record(ServiceActor(), a, verdict, now);
  return decided.ok() ? absl::OkStatus() : decided.status();
}

absl::Status IntakeEventHandler::HandleHealth(const platform::ConsumedRecord& record) {
  intake::v1::HealthStatusRecorded event;
  if (!event.ParseFromString(record.value) || event.resident().resident_id().empty() ||
      event.resident().grid_id().empty() || event.meta().event_id().empty()) {
    return absl::InvalidArgumentError(
        "not a HealthStatusRecorded with a resident snapshot and an event id");
  }
  const intake::v1::ResidentSnapshot& r = event.resident();
  const absl::Time now = deps_.clock.Now();
  // What the policy makes of the person's health alone (no arrival): a
  // positive test, typically.
  Situation s;
  s.arrival_time = now;
  s.doses = r.doses_size();
  if (r.has_latest_test()) AddTest(r.latest_test(), &s);
  auto risk_areas = deps_.risk_areas.Current();
  if (!risk_areas.ok()) return risk_areas.status();
  Verdict verdict = Screen(*deps_.policy.Current(), **risk_areas, deps_.divisions, s, now);
  if (absl::Status st = deps_.store.RememberGrids({{r.resident_id(), r.grid_id()}}); !st.ok()) {
    return st;
  }
  return deps_.decisions.RecordHealth(
      ServiceActor(), event.meta().event_id(), r.grid_id(), r.resident_id(), r.doses_size(),
      r.has_latest_test() ? &r.latest_test() : nullptr, verdict, now);
}

}  // namespace gridbridge::screening
