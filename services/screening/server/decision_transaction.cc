#include "decision_transaction.h"

#include "decision_bytes.h"
#include "event_records.h"
#include "google/protobuf/util/time_util.h"
#include "measure_lifecycle.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;
using platform::GridTransaction;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

// The earliest arrival time (ms) the grid's kept arrivals hold at `now`:
// 30 days (the longest lookback a policy may have), trimmed by the hour.
long long ArrivalsKeptFromMs(absl::Time now) {
  return (absl::ToUnixSeconds(now) / 3600 - 24 * 30) * 3600 * 1000;
}

}  // namespace

std::string KeptArrivalMember(const DecisionSubject& s) {
  // Arrivals from intake's events come without plate and destination
  // already: their bytes are kept as they are (no copy).
  if (!s.arrival_bytes.empty()) return ScreeningStore::ArrivalMember(s.arrival_bytes);
  if (s.arrival->vehicle_plate().empty() && !s.arrival->has_destination()) {
    return ScreeningStore::ArrivalMember(*s.arrival);
  }
  intake::v1::Arrival kept = *s.arrival;
  kept.clear_vehicle_plate();
  kept.clear_destination();
  return ScreeningStore::ArrivalMember(kept);
}

bool ArrivalOutlastsRequestLog(const intake::v1::Arrival& arrival, absl::Time now) {
  return absl::ToUnixMillis(FromProto(arrival.arrival_time())) >=
         ArrivalsKeptFromMs(now + absl::Hours(24 * 2));
}

DecisionSubject ArrivalSubject(const intake::v1::Arrival& arrival, long long rescreen_version) {
  DecisionSubject s;
  s.resident_id = arrival.resident_id();
  s.grid_id = arrival.grid_id();
  // Re-screens keep no request log: idempotent by state (RecordRescreens).
  if (rescreen_version == 0) s.key = "arrival:" + arrival.arrival_id();
  s.arrival_id = arrival.arrival_id();
  s.measure_id = MeasureIdFor(arrival.grid_id(), arrival.arrival_id());
  s.measure_start = FromProto(arrival.arrival_time());
  s.rescreened = rescreen_version != 0;
  // Kept for re-screening (a re-screened arrival is kept already).
  if (rescreen_version == 0) s.arrival = &arrival;
  return s;
}

absl::StatusOr<GridTransaction> DecisionTransaction(
    const common::v1::Actor& actor, const DecisionSubject& s, const Verdict& verdict,
    absl::Time now, const ScreeningStore::Versioned<v1::PersonStatus>& person,
    const std::optional<v1::Measure>& current, bool own_over, v1::PersonDecision* out) {
  const std::string& rid = s.resident_id;
  const std::string& grid = s.grid_id;
  const bool decides = !s.health || verdict.decision == v1::DECISION_MEASURE;
  const DecisionIds ids{rid, s.arrival_id, /*resident_created=*/false, s.rescreened};
  v1::PersonDecision decision =
      s.log_outcome_only ? DecisionOutcome(ids, verdict) : DecisionMessage(ids, verdict);

  std::optional<v1::Measure> after;
  const bool active = current.has_value() && current->status() == v1::MEASURE_STATUS_ACTIVE;
  if (verdict.decision == v1::DECISION_MEASURE) {
    if (own_over || (!active && current.has_value() && current->measure_id() == s.measure_id)) {
      // This measure already ran its course (decided again after the
      // request log forgot the arrival; the record may name a later one
      // by now): nothing to start again.
    } else if (!active) {
      // Placed as it stands now: an old arrival's plan may be in a later
      // stage by now (its history says when each began), or over, and
      // then there is nothing to place (no measure, no care request for a
      // home isolation long past).
      v1::Measure placed =
          AdvanceDue(StartMeasure(s.measure_id, rid, grid, verdict, s.measure_start), now);
      if (placed.status() == v1::MEASURE_STATUS_ACTIVE) after = std::move(placed);
    } else if (CallsForMore(*current, verdict, s.measure_start, now)) {
      // Counted from what the decision is about (an arrival: its time), so
      // that deciding the same arrival again later asks for nothing more.
      auto escalated = Escalate(*current, verdict, s.measure_start, now, actor.subject());
      if (!escalated.ok()) return escalated.status();
      after = std::move(*escalated);
    }
  }
  // The measure this decision is about: the one it placed or changed, the
  // one in force, or this arrival's own that ran its course; none when an
  // old arrival's plan was over before it was decided.
  const v1::Measure* measure =
      after.has_value()                                                            ? &*after
      : (current.has_value() && (active || current->measure_id() == s.measure_id)) ? &*current
                                                                                   : nullptr;
  // The person's record: what is known keeps, what changed is set (the
  // record names the measure; the decision it keeps does not carry it).
  v1::PersonStatus record = person.value;
  record.set_resident_id(rid);
  record.set_grid_id(grid);
  if (measure != nullptr) record.mutable_measure()->set_measure_id(measure->measure_id());
  if (s.health) {
    record.set_doses(s.doses);
    if (s.latest_test.has_value()) *record.mutable_latest_test() = *s.latest_test;
  }
  // The answer carries the measure; a re-screen has no one to answer.
  const bool answers_measure =
      verdict.decision == v1::DECISION_MEASURE && measure != nullptr && !s.rescreened;
  // A decision that decides (not a health report without a measure) is
  // kept in the record and published: see SerializeDecision.
  common::v1::EventMeta meta;
  DecisionBytes bytes;
  if (decides) {
    meta = platform::NewEventMeta(rid, person.version + 1, grid, actor, now);
    const bool names_measure = measure != nullptr && verdict.decision == v1::DECISION_MEASURE;
    // The answer is kept in the request log, unless that keeps the outcome only.
    bytes = SerializeDecision(ids, verdict, answers_measure ? measure : nullptr, meta,
                              names_measure ? measure->measure_id() : std::string(),
                              /*with_answer=*/!s.log_outcome_only);
  }
  if (answers_measure && !s.log_outcome_only) *decision.mutable_measure() = *measure;

  // Without a request to remember there is no response to keep.
  const platform::GridKeys keys = ScreeningStore::Keys(grid);
  GridTransaction txn(keys, s.key,
                      s.key.empty()        ? std::string()
                      : s.log_outcome_only ? decision.SerializeAsString()
                      : decides            ? bytes.answer
                                           : decision.SerializeAsString(),
                      now);
  const std::string person_key = ScreeningStore::PersonKey(keys, rid);
  txn.ExpectVersion(person_key, person.version);
  txn.PutRecord(
      person_key, person.version + 1,
      decides ? PersonStatusBytes(record, bytes.last_decision) : record.SerializeAsString());
  if (after.has_value()) {
    AddMeasureChange(txn, active ? &*current : nullptr, *after, actor, now);
  }
  if (s.arrival != nullptr) {
    // Kept for re-screening when the risk areas change, for 30 days.
    const std::string arrivals = keys.Key("arrivals");
    txn.ZAdd(arrivals, absl::ToUnixMillis(FromProto(s.arrival->arrival_time())),
             KeptArrivalMember(s));
    txn.ZRemoveBelow(arrivals, ArrivalsKeptFromMs(now));
  }
  if (decides) {
    txn.PublishFrame(platform::EventFrame(kDecisionTopic, rid,
                                          v1::ScreeningDecided::descriptor()->full_name(),
                                          bytes.event, meta, kEventSource));
    txn.HashIncrement(keys.Key("counts"), "decisions", 1);
  }
  if (s.exposure != nullptr) {
    v1::ExposureAlerted alert = *s.exposure;
    *alert.mutable_meta() = platform::NewEventMeta(rid, person.version + 1, grid, actor, now);
    if (measure != nullptr) alert.set_measure_id(measure->measure_id());
    txn.PublishFrame(platform::EventFrame(kExposureTopic, rid, alert, alert.meta(), kEventSource));
  }

  *out = std::move(decision);
  return txn;
}

}  // namespace gridbridge::screening
