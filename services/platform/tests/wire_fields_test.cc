#include "wire_fields.h"

#include "gridbridge/common/v1/event.pb.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

intake::v1::ArrivalRecorded Event() {
  intake::v1::ArrivalRecorded event;
  event.mutable_meta()->set_event_id("e-1");
  event.mutable_meta()->set_entity_version(7);
  event.mutable_arrival()->set_arrival_id("a-1");
  event.mutable_arrival()->set_resident_id("r-1");
  event.set_resident_created(true);
  return event;
}

TEST(SoleLengthDelimitedField, IsTheFieldsBytesAsSerialized) {
  const intake::v1::ArrivalRecorded event = Event();
  const std::string bytes = event.SerializeAsString();
  EXPECT_EQ(SoleLengthDelimitedField(bytes, 2), event.arrival().SerializeAsString());
  EXPECT_EQ(SoleLengthDelimitedField(bytes, 1), event.meta().SerializeAsString());
}

TEST(SoleLengthDelimitedField, IsNothingWhenAbsentRepeatedOfAnotherTypeOrCutShort) {
  intake::v1::ArrivalRecorded event = Event();
  std::string bytes = event.SerializeAsString();
  EXPECT_EQ(SoleLengthDelimitedField(bytes, 9), std::nullopt);  // absent
  EXPECT_EQ(SoleLengthDelimitedField(bytes, 3), std::nullopt);  // a varint (resident_created)
  // A second occurrence (parsers merge the two): no single one says it.
  intake::v1::ArrivalRecorded more;
  more.mutable_arrival()->set_grid_id("g-1");
  EXPECT_EQ(SoleLengthDelimitedField(bytes + more.SerializeAsString(), 2), std::nullopt);
  // Cut inside the field, or malformed after it.
  const std::string arrival = event.arrival().SerializeAsString();
  const size_t end = bytes.find(arrival) + arrival.size();
  EXPECT_EQ(SoleLengthDelimitedField(bytes.substr(0, end - 1), 2), std::nullopt);
  EXPECT_EQ(SoleLengthDelimitedField(bytes.substr(0, end) + "\xff", 2), std::nullopt);
  EXPECT_EQ(SoleLengthDelimitedField("", 2), std::nullopt);
}

}  // namespace
}  // namespace gridbridge::platform
