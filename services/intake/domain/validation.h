#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "gridbridge/common/v1/date.pb.h"
#include "gridbridge/intake/v1/resident.pb.h"
#include "text_checks.h"

namespace gridbridge::intake {

// Concatenates anything fmt can format (std::string_view included, which
// Debian's absl::StrCat does not take).
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", parts), ...);
  return out;
}

// Pure validators for intake's input. Each returns OK or INVALID_ARGUMENT
// whose message starts with the field path it was given, e.g.
// "person.id_card_number: check digit is wrong". No I/O; thread-safe.

// What an ID-card number tells.
struct IdCardInfo {
  std::string normalized;   // upper-case X
  std::string region_code;  // first 6 digits
  common::v1::Date birth_date;
  intake::v1::Sex sex = intake::v1::SEX_UNSPECIFIED;
};

// 18-character resident ID-card number (GB 11643-1999): 17 digits and a
// check digit (0-9 or X, ISO 7064 MOD 11-2), a known province, a real birth
// date between 1900-01-01 and `today`.
absl::StatusOr<IdCardInfo> ParseIdCard(std::string_view field, std::string_view value,
                                       absl::CivilDay today);

// Mainland mobile (1[3-9] + 9 digits) or landline with area code
// (0 + 2-3 digits, optional '-', 7-8 digits); "+86" and spaces are dropped.
// Returns the normalized number.
absl::StatusOr<std::string> NormalizePhone(std::string_view field, std::string_view value);

// A 6-digit administrative division code that exists (GB/T 2260: province,
// city or county; see platform/divisions.h).
absl::Status CheckDivisionCode(std::string_view field, std::string_view value);

// Chinese vehicle plate: a province character, a letter, then 5 (or 6 for
// new-energy vehicles) letters or digits. Returns it upper-cased.
absl::StatusOr<std::string> NormalizePlate(std::string_view field, std::string_view value);

using platform::CheckRequestId;  // platform/text_checks.h

using platform::CheckText;  // platform/text_checks.h

// A real calendar date; OK only if it lies within [earliest, latest].
absl::Status CheckDate(std::string_view field, const common::v1::Date& date,
                       absl::CivilDay earliest, absl::CivilDay latest);
absl::CivilDay ToCivilDay(const common::v1::Date& date);
common::v1::Date FromCivilDay(absl::CivilDay day);

using platform::CountUtf8Chars;

// China Standard Time, in which dates and weeks of the ledger are reckoned.
const absl::TimeZone& ChinaTime();

}  // namespace gridbridge::intake
