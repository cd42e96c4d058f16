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

void AppendVarintField(int number, uint64_t value, std::string& out) {
  uint8_t head[16];
  uint8_t* p = Wire::WriteTagToArray(number, Wire::WIRETYPE_VARINT, head);
  p = CodedOutputStream::WriteVarint64ToArray(value, p);
  out.append(reinterpret_cast<const char*>(head), p - head);
}

// An int32 as protobuf writes it: a negative one sign-extended to 64 bits.
uint64_t Int32Varint(int32_t value) { return static_cast<uint64_t>(static_cast<int64_t>(value)); }

// Proto3 leaves out a scalar or string at its default; repeated strings
// are written each, empty or not.
void AppendString(int number, std::string_view value, std::string& out) {
  if (!value.empty()) AppendLengthDelimited(number, value, out);
}

void AppendTrue(int number, bool value, std::string& out) {
  if (value) AppendVarintField(number, 1, out);
}

// Repeated int32 `days` as field `number`, packed (proto3's default).
void AppendPackedDays(int number, const std::vector<int>& days, std::string& out) {
  if (days.empty()) return;
  std::string packed;
  packed.reserve(days.size() * 2);
  uint8_t buf[16];
  for (int day : days) {
    uint8_t* end = CodedOutputStream::WriteVarint64ToArray(Int32Varint(day), buf);
    packed.append(reinterpret_cast<const char*>(buf), end - buf);
  }
  AppendLengthDelimited(number, packed, out);
}

// Fields 4-9 of `verdict`, numbered alike in PersonDecision and
// ScreeningDecided.
void AppendVerdict(const Verdict& verdict, std::string& out) {
  using D = v1::PersonDecision;
  using E = v1::ScreeningDecided;
  constexpr auto same = [](int a, int b) { return a == b; };
  static_assert(same(D::kDecisionFieldNumber, E::kDecisionFieldNumber) &&
                same(D::kRuleFieldNumber, E::kRuleFieldNumber) &&
                same(D::kExplanationFieldNumber, E::kExplanationFieldNumber) &&
                same(D::kReasonsFieldNumber, E::kReasonsFieldNumber) &&
                same(D::kPolicyVersionFieldNumber, E::kPolicyVersionFieldNumber) &&
                same(D::kRiskListVersionFieldNumber, E::kRiskListVersionFieldNumber));
  if (verdict.decision != 0) {
    AppendVarintField(D::kDecisionFieldNumber, Int32Varint(verdict.decision), out);
  }
  AppendString(D::kRuleFieldNumber, verdict.rule, out);
  AppendString(D::kExplanationFieldNumber, verdict.explanation, out);
  for (const auto& reason : verdict.reasons) {
    AppendLengthDelimited(D::kReasonsFieldNumber, reason, out);
  }
  AppendString(D::kPolicyVersionFieldNumber, verdict.policy_version, out);
  if (verdict.risk_list_version != 0) {
    AppendVarintField(D::kRiskListVersionFieldNumber,
                      static_cast<uint64_t>(verdict.risk_list_version), out);
  }
}

}  // namespace

v1::PersonDecision DecisionOutcome(const DecisionIds& ids, const Verdict& verdict) {
  v1::PersonDecision d;
  d.set_resident_id(std::string(ids.resident_id));
  d.set_arrival_id(std::string(ids.arrival_id));
  d.set_decision(verdict.decision);
  d.set_rule(verdict.rule);
  d.set_policy_version(verdict.policy_version);
  d.set_risk_list_version(verdict.risk_list_version);
  return d;
}

v1::PersonDecision DecisionMessage(const DecisionIds& ids, const Verdict& verdict) {
  v1::PersonDecision d = DecisionOutcome(ids, verdict);
  d.set_resident_created(ids.resident_created);
  d.set_explanation(verdict.explanation);
  d.mutable_reasons()->Assign(verdict.reasons.begin(), verdict.reasons.end());
  d.mutable_test_days()->Assign(verdict.test_days.begin(), verdict.test_days.end());
  d.set_rescreened(ids.rescreened);
  return d;
}

DecisionBytes SerializeDecision(const DecisionIds& ids, const Verdict& verdict,
                                const v1::Measure* answer_measure,
                                const common::v1::EventMeta& meta,
                                const std::string& event_measure_id, bool with_answer) {
  using Decision = v1::PersonDecision;
  using Decided = v1::ScreeningDecided;
  std::string verdict_bytes;
  AppendVerdict(verdict, verdict_bytes);
  DecisionBytes out;
  // PersonDecision: 1-3, the verdict, 10, then 11 (the answer's measure) and 12.
  std::string& head = out.last_decision;
  head.reserve(verdict_bytes.size() + ids.resident_id.size() + ids.arrival_id.size() + 32);
  AppendString(Decision::kResidentIdFieldNumber, ids.resident_id, head);
  AppendString(Decision::kArrivalIdFieldNumber, ids.arrival_id, head);
  AppendTrue(Decision::kResidentCreatedFieldNumber, ids.resident_created, head);
  head.append(verdict_bytes);
  AppendPackedDays(Decision::kTestDaysFieldNumber, verdict.test_days, head);
  if (with_answer) {
    out.answer = head;
    if (answer_measure != nullptr) {
      AppendLengthDelimited(Decision::kMeasureFieldNumber, answer_measure->SerializeAsString(),
                            out.answer);
    }
    AppendTrue(Decision::kRescreenedFieldNumber, ids.rescreened, out.answer);
  }
  AppendTrue(Decision::kRescreenedFieldNumber, ids.rescreened, out.last_decision);
  // ScreeningDecided: 1-3, the verdict, 10-12. The event always carries its meta.
  const std::string meta_bytes = meta.SerializeAsString();
  out.event.reserve(meta_bytes.size() + head.size() + event_measure_id.size() + 16);
  AppendLengthDelimited(Decided::kMetaFieldNumber, meta_bytes, out.event);
  AppendString(Decided::kResidentIdFieldNumber, ids.resident_id, out.event);
  AppendString(Decided::kArrivalIdFieldNumber, ids.arrival_id, out.event);
  out.event.append(verdict_bytes);
  AppendString(Decided::kMeasureIdFieldNumber, event_measure_id, out.event);
  AppendPackedDays(Decided::kTestDaysFieldNumber, verdict.test_days, out.event);
  AppendTrue(Decided::kRescreenedFieldNumber, ids.rescreened, out.event);
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
