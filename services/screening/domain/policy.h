#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "gridbridge/screening/v1/policy.pb.h"

namespace gridbridge::screening {

// Loads a screening policy from its file text (protobuf text format, schema
// gridbridge.screening.v1.Policy) and checks it. INVALID_ARGUMENT with the
// line and the reason on the first problem, e.g.
//   "policy line 12: rules[2].plan: required for DECISION_MEASURE"
// The caller keeps the policy in force when this fails.
absl::StatusOr<v1::Policy> LoadPolicy(std::string_view text);

}  // namespace gridbridge::screening
