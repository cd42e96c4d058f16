// The decision's three forms, composed from its verdict serialized once, are
// byte for byte what serializing the whole messages gives: partners and
// analytics see the same answers and events as before, and records parse to
// the same status.
#include "decision_bytes.h"

#include <algorithm>

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::MessageDifferencer;

Verdict MeasureVerdict(bool test_days = true) {
  Verdict v;
  v.decision = v1::DECISION_MEASURE;
  v.rule = "medium-risk-area";
  v.explanation = "14 天内到过中风险地区（湖南省邵阳市），集中隔离医学观察 14 天";
  v.reasons = {"4 月 9 日到过邵阳市（中风险）", "健康码绿码", ""};  // an empty one is written too
  v.policy_version = "2022-04-10";
  v.risk_list_version = 3;
  // 300: a two-byte varint; -1: a negative int32 takes ten bytes.
  if (test_days) v.test_days = {1, 4, 7, 300, -1};
  return v;
}

DecisionIds Ids(bool rescreened, bool created = false) {
  return {"r-7f3a", "a-0411-1", created, rescreened};
}

v1::Measure Measure() {
  v1::Measure m;
  m.set_measure_id("m.g-12.a-0411-1");
  m.set_resident_id("r-7f3a");
  m.set_grid_id("g-12");
  m.set_version(1);
  return m;
}

common::v1::EventMeta Meta() {
  common::v1::EventMeta meta;
  meta.set_event_id("0b5c2f8e-1111-4a3a-9c55-2b7f2a0f3e11");
  meta.set_entity_id("r-7f3a");
  meta.set_entity_version(2);
  meta.set_grid_id("g-12");
  meta.mutable_actor()->set_subject("screening");
  return meta;
}

v1::ScreeningDecided Event(const v1::PersonDecision& d, const std::string& measure_id) {
  v1::ScreeningDecided e;
  *e.mutable_meta() = Meta();
  e.set_resident_id(d.resident_id());
  e.set_arrival_id(d.arrival_id());
  e.set_decision(d.decision());
  e.set_rule(d.rule());
  e.set_explanation(d.explanation());
  *e.mutable_reasons() = d.reasons();
  e.set_policy_version(d.policy_version());
  e.set_risk_list_version(d.risk_list_version());
  e.set_measure_id(measure_id);
  *e.mutable_test_days() = d.test_days();
  e.set_rescreened(d.rescreened());
  return e;
}

TEST(DecisionBytesTest, EachFormIsTheWholeMessageSerialized) {
  const v1::Measure m = Measure();
  for (bool rescreened : {false, true}) {
    for (bool created : {false, true}) {
      for (bool test_days : {false, true}) {
        for (bool with_measure : {false, true}) {
          SCOPED_TRACE(testing::Message()
                       << "rescreened " << rescreened << ", created " << created << ", test days "
                       << test_days << ", measure " << with_measure);
          const Verdict v = MeasureVerdict(test_days);
          const DecisionIds ids = Ids(rescreened, created);
          const v1::PersonDecision d = DecisionMessage(ids, v);
          const std::string measure_id = with_measure ? m.measure_id() : "";
          const DecisionBytes bytes =
              SerializeDecision(ids, v, with_measure ? &m : nullptr, Meta(), measure_id);
          v1::PersonDecision answered = d;
          if (with_measure) *answered.mutable_measure() = m;
          EXPECT_EQ(bytes.answer, answered.SerializeAsString());
          EXPECT_EQ(bytes.last_decision, d.SerializeAsString());
          EXPECT_EQ(bytes.event, Event(d, measure_id).SerializeAsString());
          // Without the answer: the other two alike.
          const DecisionBytes unanswered = SerializeDecision(
              ids, v, with_measure ? &m : nullptr, Meta(), measure_id, /*with_answer=*/false);
          EXPECT_EQ(unanswered.answer, "");
          EXPECT_EQ(unanswered.last_decision, bytes.last_decision);
          EXPECT_EQ(unanswered.event, bytes.event);
        }
      }
    }
  }
}

TEST(DecisionBytesTest, AnEmptyDecisionIsEmptyBytes) {
  const DecisionBytes bytes =
      SerializeDecision(DecisionIds(), Verdict(), nullptr, common::v1::EventMeta(), "");
  EXPECT_EQ(bytes.answer, "");
  EXPECT_EQ(bytes.last_decision, "");
  v1::ScreeningDecided event;  // the event always carries its meta
  event.mutable_meta();
  EXPECT_EQ(bytes.event, event.SerializeAsString());
}

TEST(DecisionBytesTest, TheOutcomeIsTheDecisionWithoutItsWordsTestDaysOrFlags) {
  const DecisionIds ids = Ids(/*rescreened=*/true, /*created=*/true);
  v1::PersonDecision want = DecisionMessage(ids, MeasureVerdict());
  want.clear_explanation();
  want.clear_reasons();
  want.clear_test_days();
  want.clear_resident_created();
  want.clear_rescreened();
  const v1::PersonDecision outcome = DecisionOutcome(ids, MeasureVerdict());
  EXPECT_TRUE(MessageDifferencer::Equals(outcome, want)) << outcome.DebugString();
  EXPECT_EQ(outcome.rule(), "medium-risk-area");
}

TEST(DecisionBytesTest, TheWriterKnowsEveryFieldOfTheMessages) {
  // SerializeDecision writes PersonDecision's and ScreeningDecided's fields
  // itself: a field added to either must be added to it (and to this list).
  auto numbers = [](const google::protobuf::Descriptor* d) {
    std::vector<int> out;
    for (int i = 0; i < d->field_count(); ++i) out.push_back(d->field(i)->number());
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<int> one_to_twelve = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(numbers(v1::PersonDecision::descriptor()), one_to_twelve);
  EXPECT_EQ(numbers(v1::ScreeningDecided::descriptor()), one_to_twelve);
}

TEST(DecisionBytesTest, TheRecordParsesWithItsNewLastDecision) {
  v1::PersonStatus record;
  record.set_resident_id("r-7f3a");
  record.set_grid_id("g-12");
  record.mutable_measure()->set_measure_id("m.g-12.a-0411-1");
  record.set_doses(3);
  *record.mutable_last_decision() = DecisionMessage(Ids(true), MeasureVerdict());  // replaced
  const v1::PersonDecision latest = DecisionMessage(Ids(false), MeasureVerdict(false));

  v1::PersonStatus parsed;
  ASSERT_TRUE(parsed.ParseFromString(PersonStatusBytes(record, latest.SerializeAsString())));
  v1::PersonStatus want = record;
  *want.mutable_last_decision() = latest;
  EXPECT_TRUE(MessageDifferencer::Equals(parsed, want)) << parsed.DebugString();
  // Serialized again, it is what the whole record gives.
  EXPECT_EQ(parsed.SerializeAsString(), want.SerializeAsString());
}

}  // namespace
}  // namespace gridbridge::screening
