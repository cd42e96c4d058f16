// Screening reads intake's ArrivalRecorded through ArrivalRecordedView
// (its meta not decoded): the same bytes must give the same arrival and
// flags, and the view must keep up with the event's fields.
#include "google/protobuf/util/message_differencer.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gridbridge/screening/v1/intake_event_views.pb.h"
#include "gtest/gtest.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::MessageDifferencer;

TEST(ArrivalRecordedView, ReadsTheEventsArrivalAndFlagsAndKeepsItsMetaAsBytes) {
  intake::v1::ArrivalRecorded event;
  event.mutable_meta()->set_event_id("0b5c2f8e-1111-4a3a-9c55-2b7f2a0f3e11");
  event.mutable_meta()->set_grid_id("g-12");
  intake::v1::Arrival& a = *event.mutable_arrival();
  a.set_arrival_id("a-0411-1");
  a.set_resident_id("r-7f3a");
  a.set_grid_id("g-12");
  a.set_origin_division_code("430500");
  a.add_visited_places()->set_division_code("430502");
  a.mutable_arrival_time()->set_seconds(1'649'660'400);
  event.set_resident_created(true);
  event.set_screened_at_checkpoint(true);

  v1::ArrivalRecordedView view;
  ASSERT_TRUE(view.ParseFromString(event.SerializeAsString()));
  EXPECT_TRUE(MessageDifferencer::Equals(view.arrival(), event.arrival()));
  EXPECT_TRUE(view.resident_created());
  EXPECT_TRUE(view.screened_at_checkpoint());
  EXPECT_EQ(view.meta(), event.meta().SerializeAsString());
}

TEST(ArrivalRecordedView, HasEveryFieldOfTheEventUnderItsNumber) {
  // A field added to ArrivalRecorded must be added to the view (or
  // screening would read it as unknown bytes).
  const auto* event = intake::v1::ArrivalRecorded::descriptor();
  const auto* view = v1::ArrivalRecordedView::descriptor();
  ASSERT_EQ(view->field_count(), event->field_count());
  for (int i = 0; i < event->field_count(); ++i) {
    const auto* f = event->field(i);
    const auto* g = view->FindFieldByNumber(f->number());
    ASSERT_NE(g, nullptr) << f->name();
    EXPECT_EQ(g->name(), f->name());
    if (f->name() == "meta") {
      EXPECT_EQ(g->type(), google::protobuf::FieldDescriptor::TYPE_BYTES);  // same wire type
    } else {
      EXPECT_EQ(g->type(), f->type()) << f->name();
      if (f->message_type() != nullptr) {
        EXPECT_EQ(g->message_type(), f->message_type());
      }
    }
  }
}

}  // namespace
}  // namespace gridbridge::screening
