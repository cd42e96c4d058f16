#include "ledger_rows.h"

#include "event_records.h"
#include "google/protobuf/util/time_util.h"
#include "id_numbers.h"

namespace gridbridge::bench {

intake::v1::RegisterResidentRequest RegistrationRow(long long i, int family, const std::string& run,
                                                    const std::vector<std::string>& grids) {
  intake::v1::RegisterResidentRequest r;
  r.set_request_id(run + "-r-" + std::to_string(i));
  r.set_name("居民");
  r.set_id_card_number(IdCardNumber(i, family));
  r.set_phone("13800000000");
  r.mutable_address()->set_estate("枫木山小区");
  r.mutable_address()->set_building(std::to_string(i % 30) + "栋");
  r.set_grid_id(grids[i % grids.size()]);
  return r;
}

intake::v1::ArrivalRecorded ArrivalRow(long long i, const std::string& run,
                                       const std::vector<std::string>& grids,
                                       const std::string& visited, const std::string& subject,
                                       absl::Time now) {
  using google::protobuf::util::TimeUtil;
  intake::v1::ArrivalRecorded event;
  intake::v1::Arrival* a = event.mutable_arrival();
  a->set_arrival_id(run + "-e" + std::to_string(i));
  a->set_resident_id(run + "-p" + std::to_string(i));
  a->set_grid_id(grids[i % grids.size()]);
  a->set_origin_division_code("440300");
  auto* place = a->add_visited_places();
  place->set_division_code(visited);
  const absl::CivilDay day = absl::ToCivilDay(now - absl::Hours(72), absl::FixedTimeZone(8 * 3600));
  place->mutable_date()->set_year(static_cast<int>(day.year()));
  place->mutable_date()->set_month(day.month());
  place->mutable_date()->set_day(day.day());
  *a->mutable_arrival_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now - absl::Hours(1)));
  a->set_travel_mode(intake::v1::TRAVEL_MODE_TRAIN);
  a->set_health_code(intake::v1::HEALTH_CODE_COLOR_GREEN);
  common::v1::Actor actor;
  actor.set_subject(subject);
  *event.mutable_meta() = platform::NewEventMeta(a->arrival_id(), 1, a->grid_id(), actor, now);
  event.set_resident_created(true);  // person i is new, as intake would say
  return event;
}

}  // namespace gridbridge::bench
