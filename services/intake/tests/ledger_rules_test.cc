#include "ledger_rules.h"

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "validation.h"

namespace gridbridge::intake {
namespace {

using google::protobuf::util::TimeUtil;

// 2022-04-11 10:00 China Standard Time: the installers' arrival day.
const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2022, 4, 11, 10, 0, 0), absl::FixedTimeZone(8 * 3600));
const OpaqueIds kIds("test-key");

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

common::v1::Date D(int y, int m, int d) {
  common::v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

v1::RegisterResidentRequest Registration() {
  v1::RegisterResidentRequest r;
  r.set_request_id("req-1");
  r.set_name("彭某");
  r.set_id_card_number("431102199001011239");
  r.set_phone("13812345678");
  r.mutable_address()->set_estate("枫木山小区");
  r.mutable_address()->set_building("3栋");
  r.set_grid_id("431102001001g01");
  r.add_tags(v1::RESIDENT_TAG_KEY_POPULATION);
  return r;
}

v1::RecordArrivalRequest Arrival() {
  v1::RecordArrivalRequest a;
  a.set_request_id("arr-1");
  a.mutable_person()->set_name("安装工甲");
  a.mutable_person()->set_id_card_number("210102198503150021");
  a.mutable_person()->set_phone("13912345678");
  a.set_origin_division_code("430500");
  auto* place = a.add_visited_places();
  place->set_division_code("430500");
  *place->mutable_date() = D(2022, 4, 9);
  *a.mutable_arrival_time() = Ts(kNow - absl::Hours(1));
  a.set_travel_mode(v1::TRAVEL_MODE_CAR);
  a.set_vehicle_plate("辽A12345");
  a.set_health_code(v1::HEALTH_CODE_COLOR_GREEN);
  a.mutable_destination()->set_estate("零耐嘉园");
  a.set_grid_id("431102001002g01");
  a.set_reason("elevator installation");
  return a;
}

TEST(Registration, SameIdCardAlwaysGivesTheSameResidentId) {
  auto a = ValidateRegistration(Registration(), kNow, kIds);
  auto b = ValidateRegistration(Registration(), kNow, kIds);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->resident_id(), b->resident_id());
  EXPECT_EQ(a->resident_id().size(), 25u);
  EXPECT_EQ(a->resident_id().find("431102"), std::string::npos) << "must not leak the number";
  EXPECT_NE(OpaqueIds("other-key").ResidentId("431102199001011239"), a->resident_id());
}

// Ids already stored must never change: pinned to HMAC-SHA256 computed
// independently (Python's hmac module), first 12 bytes in hex.
TEST(OpaqueIds, AreTheFirstTwelveBytesOfHmacSha256) {
  EXPECT_EQ(kIds.ResidentId("431102199001011239"), "r2cf69c59c92b0c496f1c7057");
  EXPECT_EQ(kIds.VehicleId("湘M12345"), "vdf1215a56c8f8f30cb562af1");
}

TEST(Registration, ReRegistrationKeepsHealthRecordAndBumpsVersion) {
  auto incoming = ValidateRegistration(Registration(), kNow, kIds);
  ASSERT_TRUE(incoming.ok());
  v1::Resident first = ApplyRegistration(nullptr, *incoming, kNow);
  EXPECT_EQ(first.version(), 1);
  *first.add_doses() = v1::VaccinationDose();
  incoming->set_phone("13900000000");
  v1::Resident second = ApplyRegistration(&first, *incoming, kNow + absl::Hours(1));
  EXPECT_EQ(second.version(), 2);
  EXPECT_EQ(second.phone(), "13900000000");
  EXPECT_EQ(second.doses_size(), 1);
  EXPECT_EQ(second.create_time(), first.create_time());
}

TEST(Registration, BadFieldsAreNamed) {
  auto r = Registration();
  r.set_phone("123");
  EXPECT_EQ(ValidateRegistration(r, kNow, kIds).status().message().rfind("phone:", 0), 0u);
  r = Registration();
  r.clear_address();
  EXPECT_EQ(ValidateRegistration(r, kNow, kIds).status().message(), "address: required");
  r = Registration();
  r.add_tags(v1::RESIDENT_TAG_KEY_POPULATION);
  EXPECT_EQ(ValidateRegistration(r, kNow, kIds).status().message(), "tags[1]: duplicate tag");
  r = Registration();
  r.add_tags(static_cast<v1::ResidentTag>(99));
  EXPECT_EQ(ValidateRegistration(r, kNow, kIds).status().message(), "tags[1]: unknown tag");
  r = Registration();
  r.set_request_id("");
  EXPECT_EQ(ValidateRegistration(r, kNow, kIds).status().message().rfind("request_id:", 0), 0u);
}

TEST(Arrival, InstallersFromShaoyangByCar) {
  auto draft = ValidateArrival(Arrival(), kNow, kIds);
  ASSERT_TRUE(draft.ok()) << draft.status();
  EXPECT_EQ(draft->arrival.vehicle_plate(), "辽A12345");
  EXPECT_EQ(draft->arrival.vehicle_id(), kIds.VehicleId("辽A12345"));
  EXPECT_EQ(draft->person.grid_id(), "431102001002g01");
  EXPECT_EQ(draft->person.address().estate(), "零耐嘉园");
  EXPECT_EQ(draft->arrival.resident_id(), draft->person.resident_id());
}

TEST(Arrival, ItineraryMustLieInTheFourteenDaysUpToArrival) {
  auto a = Arrival();
  *a.mutable_visited_places(0)->mutable_date() = D(2022, 3, 28);  // 14 days before: inside
  EXPECT_TRUE(ValidateArrival(a, kNow, kIds).ok());
  *a.mutable_visited_places(0)->mutable_date() = D(2022, 3, 27);  // 15 days before: outside
  EXPECT_EQ(ValidateArrival(a, kNow, kIds).status().message(),
            "visited_places[0].date: must be within the 14 days up to the arrival day");
  *a.mutable_visited_places(0)->mutable_date() = D(2022, 4, 12);  // after arrival
  EXPECT_FALSE(ValidateArrival(a, kNow, kIds).ok());
}

TEST(Arrival, CarNeedsAPlateAndFutureArrivalsAreRejected) {
  auto a = Arrival();
  a.clear_vehicle_plate();
  EXPECT_EQ(ValidateArrival(a, kNow, kIds).status().message(),
            "vehicle_plate: required for travel by car or bus");
  a = Arrival();
  a.set_travel_mode(v1::TRAVEL_MODE_TRAIN);
  a.clear_vehicle_plate();
  EXPECT_TRUE(ValidateArrival(a, kNow, kIds).ok());
  a = Arrival();
  *a.mutable_arrival_time() = Ts(kNow + absl::Hours(1));
  EXPECT_EQ(ValidateArrival(a, kNow, kIds).status().message(), "arrival_time: in the future");
  a = Arrival();
  a.set_origin_division_code("9905");
  EXPECT_EQ(ValidateArrival(a, kNow, kIds).status().message().rfind("origin_division_code:", 0),
            0u);
  a = Arrival();
  a.mutable_person()->set_id_card_number("210102198503150022");
  EXPECT_EQ(ValidateArrival(a, kNow, kIds).status().message(),
            "person.id_card_number: check digit is wrong");
}

TEST(HealthStatus, DosesReplaceByNumberAndLatestTestWins) {
  auto incoming = ValidateRegistration(Registration(), kNow, kIds);
  v1::Resident r = ApplyRegistration(nullptr, *incoming, kNow);
  v1::RecordHealthStatusRequest h;
  h.set_request_id("h1");
  h.set_resident_id(r.resident_id());
  auto* d1 = h.add_doses();
  d1->set_dose_number(1);
  *d1->mutable_date() = D(2021, 5, 1);
  auto* t_old = h.add_tests();
  *t_old->mutable_sample_time() = Ts(kNow - absl::Hours(48));
  t_old->set_result(v1::TEST_RESULT_NEGATIVE);
  *t_old->mutable_result_time() = Ts(kNow - absl::Hours(40));
  auto* t_new = h.add_tests();
  *t_new->mutable_sample_time() = Ts(kNow - absl::Hours(2));
  t_new->set_result(v1::TEST_RESULT_PENDING);
  ASSERT_TRUE(ValidateHealthStatus(h, kNow).ok());
  v1::Resident next = ApplyHealthStatus(r, h, kNow);
  EXPECT_EQ(next.doses_size(), 1);
  EXPECT_EQ(next.latest_test().result(), v1::TEST_RESULT_PENDING);
  EXPECT_EQ(next.version(), r.version() + 1);
  ResidentCounterDelta delta = DiffCounters(&r, next);
  EXPECT_EQ(delta.vaccinated, 1);
  EXPECT_EQ(delta.residents, 0);
}

TEST(HealthStatus, ResultBeforeSampleIsRejected) {
  v1::RecordHealthStatusRequest h;
  h.set_request_id("h1");
  h.set_resident_id("r1");
  auto* t = h.add_tests();
  *t->mutable_sample_time() = Ts(kNow - absl::Hours(2));
  t->set_result(v1::TEST_RESULT_POSITIVE);
  *t->mutable_result_time() = Ts(kNow - absl::Hours(3));
  EXPECT_EQ(ValidateHealthStatus(h, kNow).message(),
            "tests[0].result_time: must be between sample_time and now");
  h.clear_tests();
  EXPECT_FALSE(ValidateHealthStatus(h, kNow).ok());  // nothing to record
}

TEST(Counters, NewKeyPersonCountsOnceAndTagRemovalUncounts) {
  auto incoming = ValidateRegistration(Registration(), kNow, kIds);
  v1::Resident r = ApplyRegistration(nullptr, *incoming, kNow);
  ResidentCounterDelta created = DiffCounters(nullptr, r);
  EXPECT_EQ(created.residents, 1);
  EXPECT_EQ(created.key_population, 1);
  v1::Resident untagged = r;
  untagged.clear_tags();
  EXPECT_EQ(DiffCounters(&r, untagged).key_population, -1);
}

TEST(Snapshot, CarriesNoPersonalData) {
  auto incoming = ValidateRegistration(Registration(), kNow, kIds);
  v1::ResidentSnapshot s = Snapshot(ApplyRegistration(nullptr, *incoming, kNow));
  std::string bytes = s.SerializeAsString();
  for (const std::string& secret : {std::string("彭某"), std::string("431102199001011239"),
                                    std::string("13812345678"), std::string("3栋")}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(s.birth_year(), 1990);
}

TEST(DisputeLead, SamplingPointObjection) {
  v1::ReportDisputeLeadRequest l;
  l.set_request_id("lead-1");
  l.set_grid_id("431102001001g01");
  l.set_source(v1::LEAD_SOURCE_PATROL);
  l.add_parties()->set_description("residents of the estate (elderly and children)");
  l.add_parties()->set_description("street office");
  l.set_place("枫木山小区");
  l.set_category(v1::DISPUTE_CATEGORY_PUBLIC_FACILITY);
  l.set_description("residents object to a nucleic-acid sampling point in the estate");
  auto lead = ValidateDisputeLead(l, kNow);
  ASSERT_TRUE(lead.ok()) << lead.status();
  EXPECT_EQ(lead->status(), v1::LEAD_STATUS_OPEN);
  l.add_parties();
  EXPECT_EQ(ValidateDisputeLead(l, kNow).status().message(),
            "parties[2]: a resident_id or a description is required");
}

TEST(Week, StartsMondayMidnightChinaTime) {
  // 2022-04-11 was a Monday.
  EXPECT_EQ(StartOfWeek(kNow), absl::FromCivil(absl::CivilDay(2022, 4, 11), ChinaTime()));
  EXPECT_EQ(StartOfWeek(kNow + absl::Hours(24 * 6)),
            absl::FromCivil(absl::CivilDay(2022, 4, 11), ChinaTime()));
}

}  // namespace
}  // namespace gridbridge::intake
