#pragma once

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace gridbridge::screening {

// How screening counts days: in China time (UTC+8, no DST), and as people
// do (入境次日起算): the day something starts is day 0, the next day day 1;
// a period of N days ends at 00:00 after its day N. Arriving on 11 April,
// 14 days end at the start of 26 April.
const absl::TimeZone& ChinaTime();
absl::CivilDay DayOf(absl::Time t);
// The start (00:00 China time) of `day`.
absl::Time StartOf(absl::CivilDay day);
// The end of a period of `days` days starting at `start`: counting starts
// at the first midnight at or after `start`. From 11 April 15:00, 14 days
// end at 26 April 00:00; from 26 April 00:00, 7 days end at 3 May 00:00.
absl::Time PeriodEnd(absl::Time start, int days);

}  // namespace gridbridge::screening
