#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "decision_transaction.h"
#include "gridbridge/common/v1/actor.pb.h"
#include "gridbridge/intake/v1/ledger.pb.h"
#include "gridbridge/intake/v1/resident.pb.h"
#include "gridbridge/screening/v1/events.pb.h"
#include "gridbridge/screening/v1/screening_service.pb.h"
#include "screening_engine.h"
#include "screening_store.h"

namespace gridbridge::screening {

// Records the decision on an arrival, whether it came from a checkpoint
// (ScreenArrival) or from intake's arrival events: the person's record, the
// measure (started, escalated, or the one in force kept), and the decision
// event, in one transaction, retried on a version conflict. Idempotent per
// arrival: the same arrival decided again (a retried check, the event of an
// arrival already screened at the checkpoint) returns the first decision
// and changes nothing. Thread-safe.
class DecisionRecorder {
 public:
  DecisionRecorder(ScreeningStore& store, std::function<void(const std::string&)> notify_outbox)
      : store_(store), notify_(std::move(notify_outbox)) {}

  // A venue exposure (`alert` without meta and measure id): the alert event,
  // and a measure if `verdict` calls for one. Idempotent per `key` (one
  // per positive case report and exposed person).
  absl::Status RecordExposure(const common::v1::Actor& actor, const std::string& key,
                              const v1::ExposureAlerted& alert, const Verdict& verdict,
                              absl::Time now);

  // A health report from intake (event `event_id`): the person's doses and
  // latest test are kept, and a MEASURE verdict (a positive test) starts or
  // escalates the person's measure from `now`, with a decision event.
  // Idempotent per event.
  absl::Status RecordHealth(const common::v1::Actor& actor, const std::string& event_id,
                            const std::string& grid_id, const std::string& resident_id, int doses,
                            const intake::v1::NucleicAcidTest* latest_test, const Verdict& verdict,
                            absl::Time now);

  // Arrivals, from a checkpoint or intake's events, many at once
  // (idempotent per arrival): the people's grids are remembered (see
  // ScreeningStore::RememberGrids) and their records and measures read in
  // two round trips, and the decisions committed per grid; a decision
  // that meets a concurrent change (the same person twice in the batch,
  // another writer) is decided again on its own.
  // `verdict_of(i, person)` decides arrival i given the person's record as
  // read. One decision (or error) per arrival, in order; a repeated arrival
  // gets its first decision.
  // `newly_registered[i]`: intake registered arrival i's person in this
  // very check, so screening holds nothing of theirs yet: they are decided
  // as having no record without reading one, and their grid is remembered
  // with the commit. A decision committed before (a retried check) still
  // answers first, and a record that exists after all fails the commit's
  // version guard and is read then: a wrong flag costs a round trip, never
  // a wrong decision.
  // `new_person_log`: what the request log keeps of a newly registered
  // person's decision. A checkpoint keeps the full answer, which a retried
  // check returns. kWitnessOrOutcome for intake's events of arrivals no
  // checkpoint recorded (no client will ask for them again): nothing where
  // the kept arrival outlasts the log (DecisionSubject::arrival_witnesses;
  // the same event again is found decided by it and gets the arrival's ids
  // only), else the outcome (DecisionSubject::log_outcome_only: the same
  // arrival again gets its first decision's ids, decision, rule and
  // versions, not its words, and so does this call). Only the event path
  // may ask for such an arrival again: a call that reads first (as a
  // retried check does) finds no log entry for it.
  // `read_after`: a read run in the commit's round trip, after the commit
  // (Redis runs a connection's commands in order); its reply is set only
  // when it followed every commit the call made (none decided again on its
  // own after a conflict), e.g. the risk-area list's version as a fence.
  struct ReadAfter {
    platform::RedisArgs command;
    std::optional<platform::RedisReply> reply;
  };
  using VerdictFn = std::function<Verdict(size_t, const v1::PersonStatus&)>;
  enum class NewPersonLog { kFullAnswer, kWitnessOrOutcome };
  // `arrival_bytes[i]` (if given and not empty): arrival i serialized as
  // kept for re-screening (without plate and destination), which intake's
  // events carry: kept as they are instead of serialized again.
  std::vector<absl::StatusOr<v1::PersonDecision>> RecordAll(
      const common::v1::Actor& actor, const std::vector<const intake::v1::Arrival*>& arrivals,
      const VerdictFn& verdict_of, absl::Time now, const std::vector<bool>& newly_registered = {},
      ReadAfter* read_after = nullptr, NewPersonLog new_person_log = NewPersonLog::kFullAnswer,
      const std::vector<std::string_view>& arrival_bytes = {});

  // Past arrivals decided again after the risk-area list changed to
  // `version`, given what the caller read with them: the person's record
  // (at its version) and the measure it names (nullopt: none). The
  // re-screener has read both to find who needs more, so they are not read
  // again. These decisions are not kept in the request log (no client
  // retries them): a pass run again after a failure is idempotent by state,
  // since the person's record is guarded by its version, a new measure's id
  // derives from the arrival and is guarded to be absent, and a measure
  // already placed or escalated calls for nothing more. One status per
  // rescreen, in order; pointers must outlive the call.
  struct Rescreen {
    const intake::v1::Arrival* arrival;
    const ScreeningStore::Versioned<v1::PersonStatus>* person;
    const std::optional<v1::Measure>* current;
    const Verdict* verdict;
  };
  std::vector<absl::Status> RecordRescreens(const common::v1::Actor& actor,
                                            const std::vector<Rescreen>& rescreens,
                                            long long version, absl::Time now);

 private:
  // What a decision is built on: the person's record and its measure as
  // read, and the verdict.
  struct Read {
    const ScreeningStore::Versioned<v1::PersonStatus>* person;
    const std::optional<v1::Measure>* current;
    const Verdict* verdict;
  };
  // How decisions are committed: one script run per grid (one round trip
  // for a batch over many grids, and what concurrent writers of a grid,
  // such as checkpoint calls, need), or WATCH + MULTI/EXEC rounds (half the
  // Redis time, two round trips per grid and 32 decisions: for many
  // decisions per grid, as a re-screen has). See
  // GridTransaction::CommitWatched.
  enum class Commit { kScript, kWatched };
  // Builds the decisions on what was read and commits them; a conflict is
  // decided again on its own (Decide). `remember`: (resident, grid) pairs
  // written to the directory in the commit's round trip, ahead of it;
  // `read_after` (kScript only): see RecordAll.
  std::vector<absl::StatusOr<v1::PersonDecision>> CommitDecisions(
      const common::v1::Actor& actor, const std::vector<DecisionSubject>& subjects,
      const std::vector<Read>& reads, absl::Time now, Commit commit,
      const std::vector<std::pair<std::string, std::string>>& remember = {},
      ReadAfter* read_after = nullptr);
  // Reads what the decision depends on, builds and commits it, again on a
  // conflict.
  absl::StatusOr<v1::PersonDecision> Decide(const common::v1::Actor& actor,
                                            const DecisionSubject& s, const Verdict& verdict,
                                            absl::Time now);

  ScreeningStore& store_;
  std::function<void(const std::string&)> notify_;
};

}  // namespace gridbridge::screening
