#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gridbridge/intake/v1/intake_service.pb.h"
#include "opaque_ids.h"

namespace gridbridge::intake {

// Intake's rules: turning validated requests into the next state of the
// ledger. Pure functions of their arguments (time is passed in); no I/O.
// Validation errors are INVALID_ARGUMENT naming the field path.

// A resident as described by a registration (or an arriving person), with
// derived fields (resident_id, birth date, sex) filled in. No version or
// times yet.
absl::StatusOr<v1::Resident> ValidateRegistration(const v1::RegisterResidentRequest& request,
                                                  absl::Time now, const OpaqueIds& ids);

// The next version of a resident: `incoming`'s registration fields over
// `current`'s health record (doses, latest test) and creation time.
// `current` is nullptr for a new resident.
v1::Resident ApplyRegistration(const v1::Resident* current, const v1::Resident& incoming,
                               absl::Time now);

struct ArrivalDraft {
  v1::Resident person;  // as ValidateRegistration would give, for the destination grid
  v1::Arrival arrival;  // without arrival_id and recorded_by
};
// Checks the itinerary: places within the 14 days up to the arrival day,
// nothing after it; arrival time within [now - 30 days, now + 5 minutes].
absl::StatusOr<ArrivalDraft> ValidateArrival(const v1::RecordArrivalRequest& request,
                                             absl::Time now, const OpaqueIds& ids);

absl::Status ValidateHealthStatus(const v1::RecordHealthStatusRequest& request, absl::Time now);
// Adds the request's doses (replacing a recorded dose number) and tests
// (latest_test becomes the newest by sample time).
v1::Resident ApplyHealthStatus(const v1::Resident& current,
                               const v1::RecordHealthStatusRequest& request, absl::Time now);

absl::StatusOr<v1::Visit> ValidateVisit(const v1::RecordVisitRequest& request, absl::Time now);
absl::StatusOr<v1::HelpRequest> ValidateHelpRequest(const v1::RequestHelpRequest& request,
                                                    absl::Time now);
absl::StatusOr<v1::DisputeLead> ValidateDisputeLead(const v1::ReportDisputeLeadRequest& request,
                                                    absl::Time now);

// How a change of one resident moves the grid's counters.
struct ResidentCounterDelta {
  long long residents = 0;
  long long vaccinated = 0;
  long long key_population = 0;
};
ResidentCounterDelta DiffCounters(const v1::Resident* before, const v1::Resident& after);

// The resident without personal data, for events.
v1::ResidentSnapshot Snapshot(const v1::Resident& resident);
// Clears personal fields for callers who may not see personal data.
void RedactPersonalData(v1::Resident* resident);
void RedactPersonalData(v1::Arrival* arrival);

// The Monday 00:00 (China Standard Time) that starts the week of `now`.
absl::Time StartOfWeek(absl::Time now);

}  // namespace gridbridge::intake
