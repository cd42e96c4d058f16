#include "calendar.h"

namespace gridbridge::screening {
namespace {

constexpr long long kChinaOffsetSeconds = 8 * 3600;
constexpr long long kSecondsPerDay = 24 * 3600;

}  // namespace

const absl::TimeZone& ChinaTime() {
  static const absl::TimeZone tz = absl::FixedTimeZone(kChinaOffsetSeconds);
  return tz;
}

// China time is a fixed offset: a day is whole days since the epoch's,
// turned into a date by arithmetic (H. Hinnant's civil_from_days) instead
// of through the time-zone library's lookup and its normalization of a
// day ~20,000 days from the epoch (~850 instructions a decision; gridmicro).
absl::CivilDay DayOf(absl::Time t) {
  const long long local = absl::ToUnixSeconds(t) + kChinaOffsetSeconds;  // rounds down
  long long days = local / kSecondsPerDay;
  if (local % kSecondsPerDay < 0) --days;  // toward the past, before 1970 too
  // Days since 0000-03-01, in 400-year eras of 146,097 days.
  const long long z = days + 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const long long doe = z - era * 146097;                                       // [0, 146096]
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const long long mp = (5 * doy + 2) / 153;            // [0, 11], from March
  const long long day = doy - (153 * mp + 2) / 5 + 1;  // [1, 31]
  const long long month = mp < 10 ? mp + 3 : mp - 9;   // [1, 12]
  return absl::CivilDay(yoe + era * 400 + (month <= 2 ? 1 : 0), month, day);
}

absl::Time StartOf(absl::CivilDay day) {
  static const absl::CivilDay kEpochDay(1970, 1, 1);
  return absl::FromUnixSeconds((day - kEpochDay) * kSecondsPerDay - kChinaOffsetSeconds);
}

absl::Time PeriodEnd(absl::Time start, int days) {
  absl::Time first_midnight = StartOf(DayOf(start));
  if (first_midnight < start) first_midnight = StartOf(DayOf(start) + 1);
  return first_midnight + absl::Hours(24) * days;  // China time has no DST
}

}  // namespace gridbridge::screening
