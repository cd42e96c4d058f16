#include "decision_recorder.h"

#include <algorithm>

#include "event_records.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/screening/v1/events.pb.h"
#include "measure_lifecycle.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;
using platform::GridTransaction;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

v1::PersonDecision DecisionOf(const Verdict& v) {
  v1::PersonDecision d;
  d.set_decision(v.decision);
  d.set_rule(v.rule);
  d.set_explanation(v.explanation);
  d.mutable_reasons()->Assign(v.reasons.begin(), v.reasons.end());
  d.set_policy_version(v.policy_version);
  d.set_risk_list_version(v.risk_list_version);
  d.mutable_test_days()->Assign(v.test_days.begin(), v.test_days.end());
  return d;
}

const std::optional<v1::Measure> kNoMeasure;

}  // namespace

DecisionRecorder::Subject DecisionRecorder::ForArrival(const intake::v1::Arrival& arrival,
                                                       long long rescreen_version) {
  Subject s;
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

std::vector<absl::StatusOr<v1::PersonDecision>> DecisionRecorder::RecordAll(
    const common::v1::Actor& actor, const std::vector<const intake::v1::Arrival*>& arrivals,
    const VerdictFn& verdict_of, absl::Time now) {
  std::vector<absl::StatusOr<v1::PersonDecision>> out(arrivals.size());
  std::vector<Subject> subjects;
  std::vector<std::pair<std::string, std::string>> people;
  std::vector<std::string> fields;
  for (const auto* a : arrivals) {
    subjects.push_back(ForArrival(*a, 0));
    people.emplace_back(a->grid_id(), a->resident_id());
    fields.push_back(subjects.back().key);
  }
  auto persons = store_.GetPersons(people, fields, now, /*remember_grids=*/true);
  if (!persons.ok()) {
    std::fill(out.begin(), out.end(), persons.status());
    return out;
  }
  // An arrival decided before (a retried check; intake's event of an
  // arrival decided at the checkpoint, which every checkpoint arrival comes
  // back as) gets its first decision from the request log: nothing to
  // screen, build or commit. The commit would find it too (a duplicate);
  // this only saves the work.
  std::vector<size_t> pending;  // arrivals still to decide
  std::vector<std::pair<std::string, std::string>> measure_keys;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    const ScreeningStore::PersonRead& read = (*persons)[i];
    if (read.remembered) {
      v1::PersonDecision first;
      if (first.ParseFromString(*read.remembered)) {
        out[i] = std::move(first);
      } else {
        out[i] = absl::DataLossError("the remembered decision does not parse");
      }
      continue;
    }
    pending.push_back(i);
    const std::string& id = read.person.value.measure().measure_id();
    if (!id.empty()) measure_keys.emplace_back(people[i].first, id);
  }
  if (pending.empty()) return out;
  auto measures = store_.GetMeasures(measure_keys);
  if (!measures.ok()) {
    for (size_t i : pending) out[i] = measures.status();
    return out;
  }
  std::vector<Subject> to_decide;
  std::vector<Read> reads;
  std::vector<Verdict> verdicts;
  to_decide.reserve(pending.size());
  reads.reserve(pending.size());
  verdicts.reserve(pending.size());
  size_t next_measure = 0;
  for (size_t i : pending) {
    const auto& person = (*persons)[i].person;
    const std::optional<v1::Measure>* current = &kNoMeasure;
    if (!person.value.measure().measure_id().empty()) current = &(*measures)[next_measure++];
    to_decide.push_back(std::move(subjects[i]));
    verdicts.push_back(verdict_of(i, person.value));  // reserved: pointers stay valid
    reads.push_back({&person, current, &verdicts.back()});
  }
  auto decided = CommitDecisions(actor, to_decide, reads, now, Commit::kScript);
  for (size_t k = 0; k < pending.size(); ++k) out[pending[k]] = std::move(decided[k]);
  return out;
}

std::vector<absl::Status> DecisionRecorder::RecordRescreens(const common::v1::Actor& actor,
                                                            const std::vector<Rescreen>& rescreens,
                                                            long long version, absl::Time now) {
  std::vector<Subject> subjects;
  std::vector<Read> reads;
  for (const auto& r : rescreens) {
    subjects.push_back(ForArrival(*r.arrival, version));
    reads.push_back({r.person, r.current, r.verdict});
  }
  std::vector<absl::Status> out;
  out.reserve(rescreens.size());
  for (auto& decided : CommitDecisions(actor, subjects, reads, now, Commit::kWatched)) {
    out.push_back(decided.status());
  }
  return out;
}

std::vector<absl::StatusOr<v1::PersonDecision>> DecisionRecorder::CommitDecisions(
    const common::v1::Actor& actor, const std::vector<Subject>& subjects,
    const std::vector<Read>& reads, absl::Time now, Commit commit) {
  std::vector<absl::StatusOr<v1::PersonDecision>> out(subjects.size());
  std::vector<platform::GridTransaction> txns;
  std::vector<size_t> txn_of;  // the subject of each transaction
  txns.reserve(subjects.size());
  txn_of.reserve(subjects.size());
  for (size_t i = 0; i < subjects.size(); ++i) {
    v1::PersonDecision decision;
    auto txn =
        Build(actor, subjects[i], *reads[i].verdict, now, *reads[i].person, *reads[i].current,
              /*own_over=*/false, &decision);
    if (!txn.ok()) {
      out[i] = txn.status();
      continue;
    }
    txns.push_back(std::move(*txn));
    txn_of.push_back(i);
    out[i] = std::move(decision);  // if it commits
  }
  // Nothing below needs the transactions: the script's arguments take their
  // bytes rather than a copy.
  auto outcomes =
      commit == Commit::kWatched ? store_.CommitWatched(txns) : store_.CommitAll(std::move(txns));
  if (!outcomes.ok()) {
    for (size_t i : txn_of) out[i] = outcomes.status();
    return out;
  }
  std::vector<std::string> committed_grids;
  for (size_t t = 0; t < txn_of.size(); ++t) {
    const size_t i = txn_of[t];
    const auto& outcome = (*outcomes)[t];
    if (!outcome.ok()) {
      out[i] = outcome.status();
    } else if (outcome->kind == GridTransaction::Outcome::Kind::kConflict) {
      out[i] = Decide(actor, subjects[i], *reads[i].verdict, now);  // reads afresh
    } else if (outcome->kind == GridTransaction::Outcome::Kind::kDuplicate) {
      v1::PersonDecision first;
      if (first.ParseFromString(outcome->prior_response)) {
        out[i] = std::move(first);
      } else {
        out[i] = absl::DataLossError("the remembered decision does not parse");
      }
    } else {
      if (committed_grids.empty() || committed_grids.back() != subjects[i].grid_id) {
        committed_grids.push_back(subjects[i].grid_id);
      }
    }
  }
  if (notify_) {
    std::sort(committed_grids.begin(), committed_grids.end());
    committed_grids.erase(std::unique(committed_grids.begin(), committed_grids.end()),
                          committed_grids.end());
    for (const auto& g : committed_grids) notify_(g);
  }
  return out;
}

absl::Status DecisionRecorder::RecordExposure(const common::v1::Actor& actor,
                                              const std::string& key,
                                              const v1::ExposureAlerted& alert,
                                              const Verdict& verdict, absl::Time now) {
  Subject s;
  s.resident_id = alert.resident_id();
  s.grid_id = alert.grid_id();
  s.key = "exposure:" + key;
  s.measure_id = MeasureIdFor(alert.grid_id(), "x" + key);
  s.measure_start = now;
  s.exposure = &alert;
  auto decided = Decide(actor, s, verdict, now);
  return decided.ok() ? absl::OkStatus() : decided.status();
}

absl::Status DecisionRecorder::RecordHealth(const common::v1::Actor& actor,
                                            const std::string& event_id, const std::string& grid_id,
                                            const std::string& resident_id, int doses,
                                            const intake::v1::NucleicAcidTest* latest_test,
                                            const Verdict& verdict, absl::Time now) {
  Subject s;
  s.resident_id = resident_id;
  s.grid_id = grid_id;
  s.key = "health:" + event_id;
  s.measure_id = MeasureIdFor(grid_id, "h" + event_id);
  s.measure_start = now;
  s.health = true;
  s.doses = doses;
  if (latest_test != nullptr) s.latest_test = *latest_test;
  auto decided = Decide(actor, s, verdict, now);
  return decided.ok() ? absl::OkStatus() : decided.status();
}

absl::StatusOr<v1::PersonDecision> DecisionRecorder::Decide(const common::v1::Actor& actor,
                                                            const Subject& s,
                                                            const Verdict& verdict,
                                                            absl::Time now) {
  const std::string& rid = s.resident_id;
  const std::string& grid = s.grid_id;
  std::function<absl::StatusOr<GridTransaction>(v1::PersonDecision*)> build =
      [&](v1::PersonDecision* out) -> absl::StatusOr<GridTransaction> {
    auto person = store_.GetPerson(grid, rid);
    if (!person.ok()) return person.status();
    std::optional<v1::Measure> current;
    if (!person->value.measure().measure_id().empty()) {
      auto got = store_.GetMeasures({{grid, person->value.measure().measure_id()}});
      if (!got.ok()) return got.status();
      current = std::move((*got)[0]);
    }
    // The decision's own measure may have run its course before the
    // person's record came to name a later one (an arrival decided again
    // after the request log forgot it: a replayed topic). Its id is taken
    // then; read it for this rare case only (a batch's attempt to start it
    // again met its guard and came here).
    bool own_over = false;
    if (verdict.decision == v1::DECISION_MEASURE && current.has_value() &&
        current->status() != v1::MEASURE_STATUS_ACTIVE && current->measure_id() != s.measure_id) {
      auto own = store_.GetMeasures({{grid, s.measure_id}});
      if (!own.ok()) return own.status();
      own_over = (*own)[0].has_value() && (*own)[0]->status() != v1::MEASURE_STATUS_ACTIVE;
    }
    return Build(actor, s, verdict, now, *person, current, own_over, out);
  };
  v1::PersonDecision decision;
  absl::Status status = platform::CommitWithRetry(
      [&](const GridTransaction& txn) { return store_.Commit(txn); }, build, &decision,
      [&] {
        if (notify_) notify_(grid);
      });
  if (!status.ok()) return status;
  return decision;
}

absl::StatusOr<GridTransaction> DecisionRecorder::Build(
    const common::v1::Actor& actor, const Subject& s, const Verdict& verdict, absl::Time now,
    const ScreeningStore::Versioned<v1::PersonStatus>& person,
    const std::optional<v1::Measure>& current, bool own_over, v1::PersonDecision* out) const {
  const std::string& rid = s.resident_id;
  const std::string& grid = s.grid_id;
  const bool decides = !s.health || verdict.decision == v1::DECISION_MEASURE;
  v1::PersonDecision decision = DecisionOf(verdict);
  decision.set_resident_id(rid);
  decision.set_arrival_id(s.arrival_id);
  decision.set_rescreened(s.rescreened);

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
  if (decides) *record.mutable_last_decision() = decision;
  if (s.health) {
    record.set_doses(s.doses);
    if (s.latest_test.has_value()) *record.mutable_latest_test() = *s.latest_test;
  }
  // The answer carries the measure; a re-screen has no one to answer.
  if (verdict.decision == v1::DECISION_MEASURE && measure != nullptr && !s.rescreened) {
    *decision.mutable_measure() = *measure;
  }

  // Without a request to remember there is no response to keep.
  GridTransaction txn(ScreeningStore::Keys(grid), s.key,
                      s.key.empty() ? std::string() : decision.SerializeAsString(), now);
  const std::string person_key = ScreeningStore::PersonKey(grid, rid);
  txn.ExpectVersion(person_key, person.version);
  txn.PutRecord(person_key, person.version + 1, record.SerializeAsString());
  if (after.has_value()) {
    AddMeasureChange(txn, active ? &*current : nullptr, *after, actor, now);
  }
  if (s.arrival != nullptr) {
    // Kept for re-screening when the risk areas change; the window is
    // trimmed to 30 days (the longest lookback a policy may have).
    platform::GridKeys k = ScreeningStore::Keys(grid);
    intake::v1::Arrival kept = *s.arrival;
    kept.clear_vehicle_plate();
    kept.clear_destination();
    txn.ZAdd(k.Key("arrivals"), absl::ToUnixMillis(FromProto(s.arrival->arrival_time())),
             ScreeningStore::ArrivalMember(kept));
    txn.ZRemoveBelow(k.Key("arrivals"), (absl::ToUnixSeconds(now) / 3600 - 24 * 30) * 3600 * 1000);
  }
  if (decides) {
    v1::ScreeningDecided event;
    *event.mutable_meta() = platform::NewEventMeta(rid, person.version + 1, grid, actor, now);
    event.set_resident_id(rid);
    event.set_arrival_id(s.arrival_id);
    event.set_decision(decision.decision());
    event.set_rule(decision.rule());
    event.set_explanation(decision.explanation());
    *event.mutable_reasons() = decision.reasons();
    event.set_policy_version(decision.policy_version());
    event.set_risk_list_version(decision.risk_list_version());
    if (measure != nullptr && verdict.decision == v1::DECISION_MEASURE) {
      event.set_measure_id(measure->measure_id());
    }
    *event.mutable_test_days() = decision.test_days();
    event.set_rescreened(s.rescreened);
    txn.PublishFrame(platform::EventFrame(kDecisionTopic, rid, event, event.meta(), kEventSource));
    txn.HashIncrement(ScreeningStore::Keys(grid).Key("counts"), "decisions", 1);
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
