#include "decision_recorder.h"

#include <algorithm>

#include "gridbridge/screening/v1/events.pb.h"
#include "measure_lifecycle.h"

namespace gridbridge::screening {
namespace {

using platform::GridTransaction;

const std::optional<v1::Measure> kNoMeasure;

// What an arrival decided before, as its kept arrival tells, answers: its
// first decision is not kept apart, the ids say which it was (no list
// version: its maker saw to the fence).
v1::PersonDecision WitnessedDecision(const DecisionSubject& s) {
  v1::PersonDecision first;
  first.set_resident_id(s.resident_id);
  first.set_arrival_id(s.arrival_id);
  return first;
}

}  // namespace

std::vector<absl::StatusOr<v1::PersonDecision>> DecisionRecorder::RecordAll(
    const common::v1::Actor& actor, const std::vector<const intake::v1::Arrival*>& arrivals,
    const VerdictFn& verdict_of, absl::Time now, const std::vector<bool>& newly_registered,
    ReadAfter* read_after, NewPersonLog new_person_log,
    const std::vector<std::string_view>& arrival_bytes) {
  std::vector<absl::StatusOr<v1::PersonDecision>> out(arrivals.size());
  std::vector<DecisionSubject> subjects;
  subjects.reserve(arrivals.size());
  // Everyone but the newly registered is read (and their grids remembered
  // on the way); the newly registered's grids are remembered with the commit.
  std::vector<size_t> read_at(arrivals.size(), 0);          // index into `people`, if read
  std::vector<std::pair<std::string, std::string>> people;  // (grid, resident)
  std::vector<std::string> fields;
  std::vector<std::pair<std::string, std::string>> remember;  // (resident, grid)
  for (size_t i = 0; i < arrivals.size(); ++i) {
    const auto* a = arrivals[i];
    subjects.push_back(ArrivalSubject(*a, 0));
    if (i < arrival_bytes.size()) subjects.back().arrival_bytes = arrival_bytes[i];
    if (i < newly_registered.size() && newly_registered[i]) {
      DecisionSubject& s = subjects.back();
      if (new_person_log == NewPersonLog::kWitnessOrOutcome) {
        if (ArrivalOutlastsRequestLog(*a, now)) {
          s.key.clear();
          s.arrival_witnesses = true;
        } else {
          s.log_outcome_only = true;
        }
      }
      remember.emplace_back(a->resident_id(), a->grid_id());
      continue;
    }
    read_at[i] = people.size();
    people.emplace_back(a->grid_id(), a->resident_id());
    fields.push_back(subjects.back().key);
  }
  std::vector<ScreeningStore::PersonRead> persons;
  if (!people.empty()) {
    auto got = store_.GetPersons(people, fields, now, /*remember_grids=*/true);
    if (!got.ok()) {
      std::fill(out.begin(), out.end(), got.status());
      return out;
    }
    persons = std::move(*got);
  }
  const ScreeningStore::PersonRead kAbsent;  // what a newly registered person reads as
  auto read_of = [&](size_t i) -> const ScreeningStore::PersonRead& {
    return i < newly_registered.size() && newly_registered[i] ? kAbsent : persons[read_at[i]];
  };
  // An arrival decided before (a retried check; intake's event of an
  // arrival decided at the checkpoint, which every checkpoint arrival comes
  // back as) gets its first decision from the request log: nothing to
  // screen, build or commit. The commit would find it too (a duplicate);
  // this only saves the work.
  std::vector<size_t> pending;  // arrivals still to decide
  std::vector<std::pair<std::string, std::string>> measure_keys;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    const ScreeningStore::PersonRead& read = read_of(i);
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
    if (!id.empty()) measure_keys.emplace_back(arrivals[i]->grid_id(), id);
  }
  if (pending.empty()) return out;
  auto measures = store_.GetMeasures(measure_keys);
  if (!measures.ok()) {
    for (size_t i : pending) out[i] = measures.status();
    return out;
  }
  std::vector<DecisionSubject> to_decide;
  std::vector<Read> reads;
  std::vector<Verdict> verdicts;
  to_decide.reserve(pending.size());
  reads.reserve(pending.size());
  verdicts.reserve(pending.size());
  size_t next_measure = 0;
  for (size_t i : pending) {
    const auto& person = read_of(i).person;
    const std::optional<v1::Measure>* current = &kNoMeasure;
    if (!person.value.measure().measure_id().empty()) current = &(*measures)[next_measure++];
    to_decide.push_back(std::move(subjects[i]));
    verdicts.push_back(verdict_of(i, person.value));  // reserved: pointers stay valid
    reads.push_back({&person, current, &verdicts.back()});
  }
  auto decided =
      CommitDecisions(actor, to_decide, reads, now, Commit::kScript, remember, read_after);
  for (size_t k = 0; k < pending.size(); ++k) out[pending[k]] = std::move(decided[k]);
  return out;
}

std::vector<absl::Status> DecisionRecorder::RecordRescreens(const common::v1::Actor& actor,
                                                            const std::vector<Rescreen>& rescreens,
                                                            long long version, absl::Time now) {
  std::vector<DecisionSubject> subjects;
  std::vector<Read> reads;
  subjects.reserve(rescreens.size());
  reads.reserve(rescreens.size());
  for (const auto& r : rescreens) {
    subjects.push_back(ArrivalSubject(*r.arrival, version));
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
    const common::v1::Actor& actor, const std::vector<DecisionSubject>& subjects,
    const std::vector<Read>& reads, absl::Time now, Commit commit,
    const std::vector<std::pair<std::string, std::string>>& remember, ReadAfter* read_after) {
  std::vector<absl::StatusOr<v1::PersonDecision>> out(subjects.size());
  std::vector<platform::GridTransaction> txns;
  std::vector<size_t> txn_of;  // the subject of each transaction
  txns.reserve(subjects.size());
  txn_of.reserve(subjects.size());
  for (size_t i = 0; i < subjects.size(); ++i) {
    v1::PersonDecision decision;
    auto txn = DecisionTransaction(actor, subjects[i], *reads[i].verdict, now, *reads[i].person,
                                   *reads[i].current,
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
  std::vector<platform::RedisArgs> trailing;
  std::vector<platform::RedisReply> trailing_replies;
  if (read_after != nullptr && commit == Commit::kScript) trailing.push_back(read_after->command);
  auto outcomes =
      commit == Commit::kWatched ? store_.CommitWatched(txns)
      : remember.empty() && trailing.empty()
          ? store_.CommitAll(std::move(txns))
          : store_.CommitAllWith(std::move(txns), remember, trailing, &trailing_replies);
  if (!outcomes.ok()) {
    for (size_t i : txn_of) out[i] = outcomes.status();
    return out;
  }
  // A conflict whose arrival is kept already was decided before (an event
  // delivered again): all of them asked in one round trip, not one each.
  std::vector<size_t> witnesses;  // transactions
  std::vector<std::pair<std::string, std::string>> witness_members;
  for (size_t t = 0; t < txn_of.size(); ++t) {
    const DecisionSubject& s = subjects[txn_of[t]];
    const auto& outcome = (*outcomes)[t];
    if (s.arrival_witnesses && outcome.ok() &&
        outcome->kind == GridTransaction::Outcome::Kind::kConflict) {
      witnesses.push_back(t);
      witness_members.emplace_back(s.grid_id, KeptArrivalMember(s));
    }
  }
  std::vector<bool> witnessed(txn_of.size(), false);
  if (!witnesses.empty()) {
    auto seen = store_.HasArrivals(witness_members);
    // Unanswered: each is asked again on its own (Decide).
    if (seen.ok()) {
      for (size_t k = 0; k < witnesses.size(); ++k) witnessed[witnesses[k]] = (*seen)[k];
    }
  }
  std::vector<std::string> committed_grids;
  bool decided_again = false;  // a commit after the read_after
  for (size_t t = 0; t < txn_of.size(); ++t) {
    const size_t i = txn_of[t];
    const auto& outcome = (*outcomes)[t];
    if (!outcome.ok()) {
      out[i] = outcome.status();
    } else if (witnessed[t]) {
      out[i] = WitnessedDecision(subjects[i]);
    } else if (outcome->kind == GridTransaction::Outcome::Kind::kConflict) {
      out[i] = Decide(actor, subjects[i], *reads[i].verdict, now);  // reads afresh
      decided_again = true;
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
  if (!decided_again && trailing_replies.size() == 1) {
    read_after->reply = std::move(trailing_replies[0]);
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
  DecisionSubject s;
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
  DecisionSubject s;
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
                                                            const DecisionSubject& s,
                                                            const Verdict& verdict,
                                                            absl::Time now) {
  const std::string& rid = s.resident_id;
  const std::string& grid = s.grid_id;
  bool witnessed = false;  // decided before, as its kept arrival tells
  std::function<absl::StatusOr<GridTransaction>(v1::PersonDecision*)> build =
      [&](v1::PersonDecision* out) -> absl::StatusOr<GridTransaction> {
    if (s.arrival_witnesses) {
      // Asked at every attempt: another consumer may commit the same event
      // meanwhile (a rebalance), which fails this attempt's guard.
      auto seen = store_.HasArrivals({{grid, KeptArrivalMember(s)}});
      if (!seen.ok()) return seen.status();
      if ((*seen)[0]) {
        witnessed = true;
        return absl::AlreadyExistsError("decided before");  // not committed
      }
    }
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
    return DecisionTransaction(actor, s, verdict, now, *person, current, own_over, out);
  };
  v1::PersonDecision decision;
  absl::Status status = platform::CommitWithRetry(
      [&](const GridTransaction& txn) { return store_.Commit(txn); }, build, &decision,
      [&] {
        if (notify_) notify_(grid);
      });
  if (witnessed) return WitnessedDecision(s);
  if (!status.ok()) return status;
  return decision;
}

}  // namespace gridbridge::screening
