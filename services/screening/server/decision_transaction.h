#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grid_transaction.h"
#include "gridbridge/common/v1/actor.pb.h"
#include "gridbridge/intake/v1/ledger.pb.h"
#include "gridbridge/screening/v1/events.pb.h"
#include "gridbridge/screening/v1/screening_service.pb.h"
#include "screening_engine.h"
#include "screening_store.h"

namespace gridbridge::screening {

// Who and what a decision is about, and how it is remembered.
struct DecisionSubject {
  std::string resident_id, grid_id;
  std::string key;                               // request-log field: the same key is decided once
                                                 // (empty: not logged)
  std::string arrival_id;                        // empty for health reports
  const intake::v1::Arrival* arrival = nullptr;  // kept for re-screening
  // The arrival's bytes as kept (without plate and destination), if the
  // caller has them (intake's event carries them): not serialized again.
  std::string_view arrival_bytes;
  bool rescreened = false;
  std::string measure_id;  // of a measure this decision starts
  absl::Time measure_start;
  bool health = false;  // a health report: doses and latest_test below
  int doses = 0;
  std::optional<intake::v1::NucleicAcidTest> latest_test;
  const v1::ExposureAlerted* exposure = nullptr;  // published with the decision
  // The request log keeps the decision's outcome only (ids, decision, rule,
  // policy and list versions; not its words, test days or measure): for a
  // decision no client will ask for again, whose log entry only tells a
  // redelivered event that it was decided, and against which list. A
  // full answer is ~300 bytes a decision in Redis's memory for the log's
  // two days, and as many in its AOF (docs/performance.md, session 21).
  // The caller gets that outcome too, as it would for a redelivered event
  // (the words are not copied into a message nobody reads).
  bool log_outcome_only = false;
  // No request-log entry at all (`key` empty): the arrival's member in its
  // grid's kept arrivals, written with the decision, is what tells a
  // redelivered event that it was decided (DecisionRecorder asks for it
  // when the commit meets the person's record). For a person intake registered with the arrival,
  // decided from intake's event: Redis's CPU per such decision ~10 % lower without the entry's
  // write and reads (docs/performance.md, screening, session 26).
  bool arrival_witnesses = false;
};

// The member that keeps `s`'s arrival in its grid's arrivals (without plate
// and destination); `s.arrival` must be set.
std::string KeptArrivalMember(const DecisionSubject& s);

// Whether an arrival decided at `now` stays in its grid's kept arrivals
// (30 days back, trimmed by the hour) for at least as long as the request
// log keeps an entry (two days): then its member can witness the decision.
bool ArrivalOutlastsRequestLog(const intake::v1::Arrival& arrival, absl::Time now);

// The subject of an arrival's decision; `rescreen_version` 0 for its first
// screening (kept in the request log and for re-screening), else the
// risk-area list version it is screened again under.
DecisionSubject ArrivalSubject(const intake::v1::Arrival& arrival, long long rescreen_version);

// The transaction of a decision on `s` with `verdict`, given the person's
// record and the measure it names (if any), as read, and whether the
// decision's own measure exists already, over, while the record names a
// later one: the person's record, the measure started or escalated, the
// arrival kept for re-screening and the decision event. `out` gets the
// decision. Pure: it reads nothing (DecisionRecorder reads and commits).
absl::StatusOr<platform::GridTransaction> DecisionTransaction(
    const common::v1::Actor& actor, const DecisionSubject& s, const Verdict& verdict,
    absl::Time now, const ScreeningStore::Versioned<v1::PersonStatus>& person,
    const std::optional<v1::Measure>& current, bool own_over, v1::PersonDecision* out);

}  // namespace gridbridge::screening
