#include "decision_bytes.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::io::CodedOutputStream;
using Wire = google::protobuf::internal::WireFormatLite;

// Appends field `number` of `bytes` (a message or a string) to `out`.
void AppendLengthDelimited(int number, std::string_view bytes, std::string& out) {
  uint8_t head[16];
  uint8_t* p = Wire::WriteTagToArray(number, Wire::WIRETYPE_LENGTH_DELIMITED, head);
  p = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(bytes.size()), p);
  out.append(reinterpret_cast<const char*>(head), p - head);
  out.append(bytes);
}

// The size of string field `value` as written (nothing when empty).
size_t StringFieldSize(const std::string& value) {
  return value.empty() ? 0 : 1 + Wire::StringSize(value);
}

}  // namespace

DecisionBytes SerializeDecision(const v1::PersonDecision& decision,
                                const v1::Measure* answer_measure,
                                const common::v1::EventMeta& meta,
                                const std::string& event_measure_id) {
  DecisionBytes out;
  // Fields 1-3 (ids), 4-9 (the verdict), 10 and 12 (test days, rescreened):
  // the only serialization of the verdict's text.
  out.last_decision = decision.SerializeAsString();
  out.answer = out.last_decision;
  if (answer_measure != nullptr) {
    if (decision.rescreened()) {  // field 12 follows the measure (11)
      v1::PersonDecision answer = decision;
      *answer.mutable_measure() = *answer_measure;
      out.answer = answer.SerializeAsString();
    } else {
      AppendLengthDelimited(v1::PersonDecision::kMeasureFieldNumber,
                            answer_measure->SerializeAsString(), out.answer);
    }
  }
  // The event: its own fields 1-3, the decision's bytes of fields 4-9, its
  // own fields 10-12. Single-byte tags: every field number is below 16.
  const size_t before = StringFieldSize(decision.resident_id()) +
                        StringFieldSize(decision.arrival_id()) +
                        (decision.resident_created() ? 2 : 0);
  size_t after = decision.rescreened() ? 2 : 0;
  if (decision.test_days_size() > 0) {
    const size_t days = Wire::Int32Size(decision.test_days());
    after += 1 + CodedOutputStream::VarintSize64(days) + days;
  }
  AppendLengthDelimited(v1::ScreeningDecided::kMetaFieldNumber, meta.SerializeAsString(),
                        out.event);
  if (!decision.resident_id().empty()) {
    AppendLengthDelimited(v1::ScreeningDecided::kResidentIdFieldNumber, decision.resident_id(),
                          out.event);
  }
  if (!decision.arrival_id().empty()) {
    AppendLengthDelimited(v1::ScreeningDecided::kArrivalIdFieldNumber, decision.arrival_id(),
                          out.event);
  }
  out.event.append(std::string_view(out.last_decision)
                       .substr(before, out.last_decision.size() - before - after));
  v1::ScreeningDecided event_after;  // 10-12
  event_after.set_measure_id(event_measure_id);
  *event_after.mutable_test_days() = decision.test_days();
  event_after.set_rescreened(decision.rescreened());
  event_after.AppendToString(&out.event);
  return out;
}

std::string PersonStatusBytes(const v1::PersonStatus& record, std::string_view last_decision) {
  std::string out;
  if (record.has_last_decision()) {
    v1::PersonStatus without = record;
    without.clear_last_decision();
    out = without.SerializeAsString();
  } else {
    out = record.SerializeAsString();
  }
  AppendLengthDelimited(v1::PersonStatus::kLastDecisionFieldNumber, last_decision, out);
  return out;
}

}  // namespace gridbridge::screening
