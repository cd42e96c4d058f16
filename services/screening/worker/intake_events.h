#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "clock.h"
#include "decision_recorder.h"
#include "divisions.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gridbridge/screening/v1/intake_event_views.pb.h"
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
//    escalates the person's measure, and alerts the people who scanned a
//    venue close in time to the positive person (场所码).
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
    // Rescreener::RescreenIfListChanged (may be empty: no check).
    std::function<absl::StatusOr<bool>(long long, const std::vector<std::string>&,
                                       std::optional<long long>)>
        rescreen_if_list_changed;
  };
  explicit IntakeEventHandler(Deps deps) : deps_(std::move(deps)) {}

  absl::Status Handle(const platform::ConsumedRecord& record);
  // A batch (see platform::BatchHandler): arrivals are decided together
  // (DecisionRecorder::RecordAll), health reports one by one.
  std::vector<absl::Status> HandleBatch(const std::vector<platform::ConsumedRecord>& batch);

 private:
  // The arrival of an ArrivalRecorded event (read without its meta:
  // ArrivalRecordedView), checked; `event` keeps it.
  absl::StatusOr<const intake::v1::Arrival*> DecodeArrival(const platform::ConsumedRecord& record,
                                                           v1::ArrivalRecordedView& event,
                                                           absl::Time now) const;
  absl::Status HandleArrival(const platform::ConsumedRecord& record);
  absl::Status HandleHealth(const platform::ConsumedRecord& record);
  // A positive case: everyone who scanned a venue within the policy's
  // exposure window of the case's scans there gets an alert, and the
  // policy's decision (venue-exposure: a measure).
  absl::Status AlertExposed(const std::string& case_event, const std::string& grid,
                            const std::string& resident_id, absl::Time now);

  Deps deps_;
};

}  // namespace gridbridge::screening
