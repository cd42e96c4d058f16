#pragma once

#include <functional>

#include "absl/status/status.h"
#include "clock.h"
#include "decision_recorder.h"
#include "divisions.h"
#include "kafka_consumer.h"
#include "screening_state.h"
#include "screening_store.h"

namespace gridbridge::screening {

inline constexpr char kIntakeArrivalTopic[] = "gridbridge.intake.arrival.v1";
inline constexpr char kIntakeHealthStatusTopic[] = "gridbridge.intake.health-status.v1";

// Screens what intake reports (the consumer group "screening"):
//  - every ArrivalRecorded is decided as at a checkpoint, with the person's
//    health as screening last heard it (deduplicated with the checkpoint by
//    arrival id, so an arrival screened at the checkpoint is not screened
//    twice);
//  - every HealthStatusRecorded updates the person's doses and latest test,
//    and a decision that calls for a measure (a positive test) starts or
//    escalates the person's measure.
// A record that does not decode or fails the checks goes to the dead-letter
// topic (INVALID_ARGUMENT); Redis trouble is retried (UNAVAILABLE).
// Thread-safe.
class IntakeEventHandler {
 public:
  struct Deps {
    ScreeningStore& store;
    DecisionRecorder& decisions;
    PolicyHolder& policy;
    RiskAreaCache& risk_areas;
    const platform::Divisions& divisions;
    const platform::Clock& clock;
  };
  explicit IntakeEventHandler(Deps deps) : deps_(deps) {}

  absl::Status Handle(const platform::ConsumedRecord& record);

 private:
  absl::Status HandleArrival(const platform::ConsumedRecord& record);
  absl::Status HandleHealth(const platform::ConsumedRecord& record);

  Deps deps_;
};

}  // namespace gridbridge::screening
