// MeasureChanged events are written around the measure's record bytes:
// byte for byte what the generated class serializes.
#include "event_records.h"
#include "gridbridge/screening/v1/events.pb.h"
#include "gtest/gtest.h"
#include "measure_lifecycle.h"
#include "screening_store.h"
#include "store_test_fixtures.h"

namespace gridbridge::screening {
namespace {

using test::kGrid;
using test::RiskArea;
using test::T;

TEST(MeasureChangedBytes, AreWhatTheGeneratedClassSerializes) {
  // The installers' plan on the 26th: started on the 11th, home isolation since.
  const v1::Measure m =
      AdvanceDue(StartMeasure("m-1", "r-1", kGrid, RiskArea(), T(4, 11, 15)), T(4, 26, 16));
  ASSERT_EQ(m.history_size(), 2);
  common::v1::Actor actor;
  actor.set_subject("screening");
  for (int i = 0; i < m.history_size(); ++i) {
    v1::MeasureChanged event;
    *event.mutable_meta() = platform::NewEventMeta(m.measure_id(), i + 1, kGrid, actor, T(4, 26));
    *event.mutable_measure() = m;
    *event.mutable_change() = m.history(i);
    const std::string bytes =
        MeasureChangedBytes(event.meta(), m.SerializeAsString(), m.history(i));
    EXPECT_EQ(bytes, event.SerializeAsString()) << "change " << i;
    v1::MeasureChanged parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    EXPECT_EQ(parsed.change().kind(), m.history(i).kind());
    EXPECT_EQ(parsed.measure().history_size(), 2);
  }
}

TEST(MeasureChangedBytes, AnEmptyChangeIsStillAField) {
  // The generated class writes a set message field even when it is empty.
  v1::MeasureChanged event;
  event.mutable_meta()->set_event_id("e");
  event.mutable_measure()->set_measure_id("m");
  event.mutable_change();
  EXPECT_EQ(MeasureChangedBytes(event.meta(), event.measure().SerializeAsString(), event.change()),
            event.SerializeAsString());
}

}  // namespace
}  // namespace gridbridge::screening
