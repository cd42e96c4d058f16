#include "calendar.h"

namespace gridbridge::screening {

const absl::TimeZone& ChinaTime() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

absl::CivilDay DayOf(absl::Time t) { return absl::ToCivilDay(t, ChinaTime()); }

absl::Time StartOf(absl::CivilDay day) { return absl::FromCivil(day, ChinaTime()); }

absl::Time PeriodEnd(absl::Time start, int days) {
  absl::Time first_midnight = StartOf(DayOf(start));
  if (first_midnight < start) first_midnight = StartOf(DayOf(start) + 1);
  return first_midnight + absl::Hours(24) * days;  // China time has no DST
}

}  // namespace gridbridge::screening
