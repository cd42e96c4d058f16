#pragma once

#include <string>
#include <string_view>

#include "gridbridge/common/v1/event.pb.h"
#include "gridbridge/screening/v1/events.pb.h"
#include "gridbridge/screening/v1/measure.pb.h"
#include "gridbridge/screening/v1/screening_service.pb.h"
#include "screening_engine.h"

namespace gridbridge::screening {

// Whom a decision is about: PersonDecision's fields 1-3 and 12; its verdict
// gives fields 4-10.
struct DecisionIds {
  std::string_view resident_id, arrival_id;
  bool resident_created = false;
  bool rescreened = false;
};

// The decision of `ids` and `verdict` as a message (without a measure).
v1::PersonDecision DecisionMessage(const DecisionIds& ids, const Verdict& verdict);
// Its outcome only: the ids (not resident_created), decision, rule, policy
// and list versions; not its words, test days or measure.
v1::PersonDecision DecisionOutcome(const DecisionIds& ids, const Verdict& verdict);

// The three serialized forms of one decision, written from its verdict
// directly. The verdict's fields (decision, rule, explanation, reasons,
// policy and list versions: 4-9) are numbered alike in PersonDecision and
// ScreeningDecided, so their bytes serve the answer, the record's last
// decision and the event. They are written without building a message
// and without protobuf's UTF-8 check of the text, which protobuf makes at
// every serialization (and only logs when it fails): the text is the
// policy's and the places', checked when they were loaded or parsed. The
// check and the message's copies of the text were ~10 % of building a
// decision (gridmicro). Each form is byte for byte what serializing the
// whole message (DecisionMessage, with the measure; the event) gives.
struct DecisionBytes {
  std::string answer;         // PersonDecision: the decision plus the measure, if any (if asked)
  std::string last_decision;  // PersonDecision: the decision as the record keeps it
  std::string event;          // ScreeningDecided
};

// The decision as answered with `answer_measure` (nullptr: none; only
// `with_answer`), kept, and published with `meta` and `event_measure_id`
// ("": none).
DecisionBytes SerializeDecision(const DecisionIds& ids, const Verdict& verdict,
                                const v1::Measure* answer_measure,
                                const common::v1::EventMeta& meta,
                                const std::string& event_measure_id, bool with_answer = true);

// The bytes of `record` with `last_decision` (a serialized PersonDecision)
// as its last decision, whatever `record` holds there: appended after the
// other fields, which parsers take in any order.
std::string PersonStatusBytes(const v1::PersonStatus& record, std::string_view last_decision);

}  // namespace gridbridge::screening
