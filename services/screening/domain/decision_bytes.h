#pragma once

#include <string>
#include <string_view>

#include "gridbridge/common/v1/event.pb.h"
#include "gridbridge/screening/v1/events.pb.h"
#include "gridbridge/screening/v1/measure.pb.h"
#include "gridbridge/screening/v1/screening_service.pb.h"

namespace gridbridge::screening {

// The three serialized forms of one decision, with its verdict serialized
// once. The verdict's fields (decision, rule, explanation, reasons, policy
// and list versions: 4-9) are numbered alike in PersonDecision and
// ScreeningDecided, so their bytes serve the answer, the record's last
// decision and the event; serialized three times, their text (checked for
// UTF-8 each time) was the costliest part of building a decision. Each form
// is byte for byte what serializing the whole message gives.
struct DecisionBytes {
  std::string answer;         // PersonDecision: `decision` plus the measure, if any
  std::string last_decision;  // PersonDecision: `decision` as the record keeps it
  std::string event;          // ScreeningDecided
};

// `decision` (which must not hold a measure) as answered with
// `answer_measure` (nullptr: none), kept, and published with `meta` and
// `event_measure_id` ("": none). The event takes the bytes of the verdict's
// fields out of the kept decision's.
DecisionBytes SerializeDecision(const v1::PersonDecision& decision,
                                const v1::Measure* answer_measure,
                                const common::v1::EventMeta& meta,
                                const std::string& event_measure_id);

// The bytes of `record` with `last_decision` (a serialized PersonDecision)
// as its last decision, whatever `record` holds there: appended after the
// other fields, which parsers take in any order.
std::string PersonStatusBytes(const v1::PersonStatus& record, std::string_view last_decision);

}  // namespace gridbridge::screening
