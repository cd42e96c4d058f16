#include "intake_events.h"

#include <map>

#include "google/protobuf/arena.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "screening_engine.h"
#include "spdlog/spdlog.h"
#include "wire_fields.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;

common::v1::Actor ServiceActor() {
  common::v1::Actor actor;
  actor.set_subject("screening");
  return actor;
}

}  // namespace

absl::Status IntakeEventHandler::Handle(const platform::ConsumedRecord& record) {
  if (record.topic == kIntakeArrivalTopic) return HandleArrival(record);
  if (record.topic == kIntakeHealthStatusTopic) return HandleHealth(record);
  return absl::InvalidArgumentError("screening does not consume " + record.topic);
}

absl::StatusOr<const intake::v1::Arrival*> IntakeEventHandler::DecodeArrival(
    const platform::ConsumedRecord& record, v1::ArrivalRecordedView& event, absl::Time now) const {
  if (!event.ParseFromString(record.value) || event.arrival().resident_id().empty() ||
      event.arrival().grid_id().empty() || event.arrival().arrival_id().empty()) {
    return absl::InvalidArgumentError("not an ArrivalRecorded with resident, grid and arrival ids");
  }
  // An event is checked against now too: intake accepted it earlier, and
  // its arrival time is in the past by now.
  const Situation s = ArrivalSituation(event.arrival());
  if (absl::Status st = CheckSituation(s, std::max(now, s.arrival_time), deps_.divisions);
      !st.ok()) {
    return st;
  }
  return &event.arrival();
}

absl::Status IntakeEventHandler::HandleArrival(const platform::ConsumedRecord& record) {
  return HandleBatch({record})[0];
}

std::vector<absl::Status> IntakeEventHandler::HandleBatch(
    const std::vector<platform::ConsumedRecord>& batch) {
  const absl::Time now = deps_.clock.Now();
  std::vector<absl::Status> out(batch.size());
  // The batch's events are decoded into one arena, freed at once with it:
  // allocating and freeing each event's pieces cost ~4 % of a decision's CPU
  // (gridmicro).
  google::protobuf::Arena arena;
  std::vector<const intake::v1::Arrival*> arrivals;
  std::vector<size_t> record_of;  // the record of each arrival
  // Intake registered the person with the arrival: screening holds nothing
  // of theirs, so they are decided without a read (a round trip and its
  // Redis work per batch; a wrong flag costs a round trip, never a wrong
  // decision: see DecisionRecorder::RecordAll). Not so for an arrival
  // screened at a checkpoint, whose decision is made by the check, often
  // still under way: read first, the event finds that decision instead of
  // racing the check's commit (which would then fail its guard and go
  // again, in the check's time).
  std::vector<bool> newly_registered;
  std::vector<std::string_view> arrival_bytes;  // views into the batch's records
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].topic != kIntakeArrivalTopic) {
      out[i] = Handle(batch[i]);
      continue;
    }
    auto* event = google::protobuf::Arena::CreateMessage<v1::ArrivalRecordedView>(&arena);
    auto arrival = DecodeArrival(batch[i], *event, now);
    if (!arrival.ok()) {
      out[i] = arrival.status();
      continue;
    }
    // Screening neither decides on nor keeps the plate and destination.
    // Without them (as intake's events come), the event's bytes of the
    // arrival are what is kept for re-screening: not serialized again.
    std::string_view kept;
    if ((*arrival)->vehicle_plate().empty() && !(*arrival)->has_destination()) {
      kept = platform::SoleLengthDelimitedField(batch[i].value,
                                                v1::ArrivalRecordedView::kArrivalFieldNumber)
                 .value_or(std::string_view());
    }
    event->mutable_arrival()->clear_vehicle_plate();
    event->mutable_arrival()->clear_destination();
    arrivals.push_back(*arrival);
    arrival_bytes.push_back(kept);
    record_of.push_back(i);
    newly_registered.push_back(event->resident_created() && !event->screened_at_checkpoint());
  }
  if (arrivals.empty()) return out;
  auto fail_all = [&](const absl::Status& st) {
    for (size_t i : record_of) out[i] = st;
    return out;
  };
  auto risk_areas = deps_.risk_areas.Current();
  if (!risk_areas.ok()) return fail_all(risk_areas.status());
  const std::shared_ptr<const v1::Policy> policy = deps_.policy.Current();
  // Decided with the person's health as screening last heard it.
  auto verdict_of = [&](size_t k, const v1::PersonStatus& person) {
    Situation s = ArrivalSituation(*arrivals[k]);
    s.doses = person.doses();
    if (person.has_latest_test()) AddTest(person.latest_test(), &s);
    return Screen(*policy, **risk_areas, deps_.divisions, s, now);
  };
  // One script run per grid: a batch spreads over many grids, a few
  // arrivals each, where watched rounds (two round trips per grid, one
  // after another) cost more than they save (docs/performance.md).
  // No checkpoint will ask for a newly registered person's arrival (a
  // checkpoint's is flagged): the request log keeps nothing of it (the kept
  // arrival witnesses it) or, for an arrival older than that keeps, its
  // outcome only.
  auto decided = deps_.decisions.RecordAll(
      ServiceActor(), arrivals, verdict_of, now, newly_registered, /*read_after=*/nullptr,
      DecisionRecorder::NewPersonLog::kWitnessOrOutcome, arrival_bytes);
  for (size_t k = 0; k < arrivals.size(); ++k) out[record_of[k]] = decided[k].status();
  // The grids of the decisions this batch made (a remembered one names the
  // list it was made against, and its maker saw to it), in case the list
  // changed while it was decided; a failure has the batch delivered again.
  const long long version = (*risk_areas)->list().version();
  std::vector<std::string> grids;
  for (size_t k = 0; k < arrivals.size(); ++k) {
    if (decided[k].ok() && decided[k]->risk_list_version() == version) {
      grids.push_back(arrivals[k]->grid_id());
    }
  }
  if (!deps_.rescreen_if_list_changed || grids.empty()) return out;
  auto again = deps_.rescreen_if_list_changed(version, grids, std::nullopt);
  if (!again.ok()) {
    for (size_t k = 0; k < arrivals.size(); ++k) {
      if (decided[k].ok()) out[record_of[k]] = again.status();
    }
  }
  return out;
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
  if (absl::Status st = deps_.decisions.RecordHealth(
          ServiceActor(), event.meta().event_id(), r.grid_id(), r.resident_id(), r.doses_size(),
          r.has_latest_test() ? &r.latest_test() : nullptr, verdict, now);
      !st.ok()) {
    return st;
  }
  if (r.has_latest_test() && r.latest_test().result() == intake::v1::TEST_RESULT_POSITIVE) {
    return AlertExposed(event.meta().event_id(), r.grid_id(), r.resident_id(), now);
  }
  return absl::OkStatus();
}

absl::Status IntakeEventHandler::AlertExposed(const std::string& case_event,
                                              const std::string& grid,
                                              const std::string& resident_id, absl::Time now) {
  const std::shared_ptr<const v1::Policy> policy = deps_.policy.Current();
  if (policy->exposure_window_minutes() <= 0) return absl::OkStatus();
  const absl::Duration window = absl::Minutes(policy->exposure_window_minutes());
  auto scans =
      deps_.store.ScansBy(grid, resident_id, now - absl::Hours(24) * policy->lookback_days());
  if (!scans.ok()) return scans.status();
  // Each exposed person once, with their scan closest to the case's.
  struct Exposed {
    ScreeningStore::VenueScan scan;
    absl::Time case_at;
  };
  std::map<std::pair<std::string, std::string>, Exposed> exposed;
  for (const auto& mine : *scans) {
    auto others = deps_.store.ScansAt(mine.venue_id, mine.at - window, mine.at + window);
    if (!others.ok()) return others.status();
    for (const auto& other : *others) {
      if (other.resident_id == resident_id) continue;
      auto key = std::make_pair(other.person_grid, other.resident_id);
      auto it = exposed.find(key);
      if (it == exposed.end() || absl::AbsDuration(other.at - mine.at) <
                                     absl::AbsDuration(it->second.scan.at - it->second.case_at)) {
        exposed[key] = {other, mine.at};
      }
    }
  }
  if (exposed.empty()) return absl::OkStatus();
  auto risk_areas = deps_.risk_areas.Current();
  if (!risk_areas.ok()) return risk_areas.status();
  std::map<std::string, std::string> venue_names;
  for (const auto& [who, e] : exposed) {
    auto [it, fresh] = venue_names.try_emplace(e.scan.venue_id);
    if (fresh) {
      auto venue = deps_.store.GetVenue(e.scan.venue_id);
      if (!venue.ok()) return venue.status();
      it->second = venue->value.name().empty() ? e.scan.venue_id : venue->value.name();
    }
    auto person = deps_.store.GetPerson(who.first, who.second);
    if (!person.ok()) return person.status();
    Situation s;
    s.arrival_time = now;
    s.doses = person->value.doses();
    if (person->value.has_latest_test()) AddTest(person->value.latest_test(), &s);
    s.exposures.push_back({it->second, e.scan.at, e.case_at});
    Verdict verdict = Screen(*policy, **risk_areas, deps_.divisions, s, now);
    v1::ExposureAlerted alert;
    alert.set_resident_id(who.second);
    alert.set_grid_id(who.first);
    alert.set_venue_id(e.scan.venue_id);
    alert.set_venue_name(it->second);
    *alert.mutable_scanned_at() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(e.scan.at));
    *alert.mutable_case_scanned_at() =
        TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(e.case_at));
    if (absl::Status st = deps_.decisions.RecordExposure(
            ServiceActor(), case_event + ":" + who.second, alert, verdict, now);
        !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace gridbridge::screening
