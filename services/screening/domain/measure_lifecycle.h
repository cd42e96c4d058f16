#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridbridge/screening/v1/measure.pb.h"
#include "screening_engine.h"

namespace gridbridge::screening {

// The life of a measure, as pure functions: started, stage changed,
// extended, shortened, escalated, released. Each change returns the
// measure with version + 1 and the change appended to its history (the
// caller publishes one event per appended change); a change that does not
// apply is FAILED_PRECONDITION, bad arguments INVALID_ARGUMENT naming the
// field. Stage ends are timers: AdvanceDue applies those that are due,
// dated when they were due (not when a timer fired late after a restart).

// Who asks for a change and why.
struct ChangeRequest {
  std::string by;      // token subject
  std::string reason;  // required, 1..200 characters
};

// A new measure per `verdict` (DECISION_MEASURE), starting at `start`.
v1::Measure StartMeasure(const std::string& measure_id, const std::string& resident_id,
                         const std::string& grid_id, const Verdict& verdict, absl::Time start);

// Applies every stage end due at `now` (several if the service was down):
// the next stage begins at the previous one's end; after the last stage the
// person is released. Returns the measure unchanged (same version) if
// nothing is due.
v1::Measure AdvanceDue(const v1::Measure& m, absl::Time now);

// Lengthens the current stage by `days` (1..60).
absl::StatusOr<v1::Measure> Extend(const v1::Measure& m, int days, absl::Time now,
                                   const ChangeRequest& request);
// Shortens the current stage by `days` (1..60), not to before `now`: a
// stage shortened to now ends at the next AdvanceDue.
absl::StatusOr<v1::Measure> Shorten(const v1::Measure& m, int days, absl::Time now,
                                    const ChangeRequest& request);
// Releases the person now, before the plan's end.
absl::StatusOr<v1::Measure> Release(const v1::Measure& m, absl::Time now,
                                    const ChangeRequest& request);

// Whether `verdict` calls for more than what remains of `m`: a stricter
// measure type now (centralized observation > home isolation > health
// monitoring), or the same type lasting longer. A re-screen that finds the
// same plan for the same arrival is not.
// The new plan counts from `start` (an arrival's time, or now for a
// positive test) and is judged by what it asks at `now`: the stage it
// would be in by then (a plan that would be over asks nothing).
bool CallsForMore(const v1::Measure& m, const Verdict& verdict, absl::Time start, absl::Time now);
// Replaces the rest of `m` with `verdict`'s plan from `start`
// (FAILED_PRECONDITION unless CallsForMore); the change is recorded at
// `now` (later than `start` when a past arrival is re-screened).
absl::StatusOr<v1::Measure> Escalate(const v1::Measure& m, const Verdict& verdict, absl::Time start,
                                     absl::Time now, const std::string& by);

// When the plan as it stands ends (the release time if released).
absl::Time PlanEnd(const v1::Measure& m);

}  // namespace gridbridge::screening
