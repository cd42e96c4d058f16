#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridbridge/common/v1/actor.pb.h"
#include "gridbridge/intake/v1/ledger.pb.h"
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

  absl::StatusOr<v1::PersonDecision> Record(const common::v1::Actor& actor,
                                            const intake::v1::Arrival& arrival,
                                            const Verdict& verdict, absl::Time now);

 private:
  ScreeningStore& store_;
  std::function<void(const std::string&)> notify_;
};

}  // namespace gridbridge::screening
