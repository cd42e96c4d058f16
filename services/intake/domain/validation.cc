#include "validation.h"

#include <array>
#include <cctype>
#include <set>

#include "absl/strings/ascii.h"
#include "divisions.h"

namespace gridbridge::intake {
namespace {

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(Cat(field, ": ", why));
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// Province-level prefixes of GB/T 2260 (including Taiwan, Hong Kong, Macao).
bool KnownProvince(std::string_view two) {
  static const std::set<std::string_view> kProvinces = {
      "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
      "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
      "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"};
  return kProvinces.count(two) > 0;
}

}  // namespace

const absl::TimeZone& ChinaTime() {
  static const absl::TimeZone tz = absl::FixedTimeZone(8 * 3600);
  return tz;
}

absl::CivilDay ToCivilDay(const common::v1::Date& d) {
  return absl::CivilDay(d.year(), d.month(), d.day());
}

common::v1::Date FromCivilDay(absl::CivilDay day) {
  common::v1::Date d;
  d.set_year(static_cast<int32_t>(day.year()));
  d.set_month(day.month());
  d.set_day(day.day());
  return d;
}

absl::Status CheckDate(std::string_view field, const common::v1::Date& date,
                       absl::CivilDay earliest, absl::CivilDay latest) {
  if (date.year() < 1900 || date.year() > 9999 || date.month() < 1 || date.month() > 12 ||
      date.day() < 1 || date.day() > 31) {
    return Invalid(field, "not a calendar date");
  }
  absl::CivilDay day = ToCivilDay(date);
  // CivilDay normalizes 2022-02-30 to 2022-03-02: a mismatch means invalid.
  if (day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
    return Invalid(field, "not a calendar date");
  }
  if (day < earliest || day > latest) {
    return Invalid(field, Cat("must be between ", absl::FormatCivilTime(earliest), " and ",
                              absl::FormatCivilTime(latest)));
  }
  return absl::OkStatus();
}

absl::StatusOr<IdCardInfo> ParseIdCard(std::string_view field, std::string_view value,
                                       absl::CivilDay today) {
  if (value.size() != 18) return Invalid(field, "must be 18 characters");
  std::string id(value);
  if (id[17] == 'x') id[17] = 'X';
  if (!AllDigits(std::string_view(id).substr(0, 17)) ||
      !(std::isdigit(static_cast<unsigned char>(id[17])) || id[17] == 'X')) {
    return Invalid(field, "must be 17 digits and a check digit (0-9 or X)");
  }
  static constexpr std::array<int, 17> kWeights = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                   3, 7, 9,  10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  if (kCheck[sum % 11] != id[17]) return Invalid(field, "check digit is wrong");
  if (!KnownProvince(std::string_view(id).substr(0, 2))) {
    return Invalid(field, "region code is not a known province");
  }
  common::v1::Date birth;
  birth.set_year(std::stoi(id.substr(6, 4)));
  birth.set_month(std::stoi(id.substr(10, 2)));
  birth.set_day(std::stoi(id.substr(12, 2)));
  if (absl::Status s = CheckDate(field, birth, absl::CivilDay(1900, 1, 1), today); !s.ok()) {
    return Invalid(field, "birth date (digits 7-14) is not a real date up to today");
  }
  IdCardInfo info;
  info.normalized = id;
  info.region_code = id.substr(0, 6);
  info.birth_date = birth;
  info.sex = (id[16] - '0') % 2 == 1 ? intake::v1::SEX_MALE : intake::v1::SEX_FEMALE;
  return info;
}

absl::StatusOr<std::string> NormalizePhone(std::string_view field, std::string_view value) {
  std::string p;
  for (char c : value) {
    if (c != ' ') p.push_back(c);
  }
  if (p.rfind("+86", 0) == 0) p = p.substr(3);
  if (p.empty()) return Invalid(field, "required");
  if (p.size() == 11 && p[0] == '1' && p[1] >= '3' && p[1] <= '9' && AllDigits(p)) return p;
  if (p[0] == '0') {
    std::string digits;
    size_t dash = p.find('-');
    if (dash != std::string::npos) {
      std::string area = p.substr(0, dash), local = p.substr(dash + 1);
      if (area.size() >= 3 && area.size() <= 4 && AllDigits(area) && local.size() >= 7 &&
          local.size() <= 8 && AllDigits(local)) {
        return p;
      }
    } else if (p.size() >= 10 && p.size() <= 12 && AllDigits(p)) {
      return p;
    }
  }
  return Invalid(field, "not a mainland mobile (1[3-9] + 9 digits) or landline (0xx-xxxxxxx)");
}

absl::Status CheckDivisionCode(std::string_view field, std::string_view value) {
  if (value.size() != 6 || !AllDigits(value)) return Invalid(field, "must be 6 digits");
  if (platform::Divisions::Builtin().Find(value) == nullptr) {
    return Invalid(field, "not a known administrative division (GB/T 2260), e.g. 430500");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizePlate(std::string_view field, std::string_view value) {
  static const std::string_view kProvinces =
      "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
  // Every province character is 3 bytes in UTF-8.
  if (value.size() < 3 + 1 + 5) return Invalid(field, "too short for a plate (e.g. 辽A12345)");
  std::string_view head = value.substr(0, 3);
  bool known = false;
  for (size_t i = 0; i + 3 <= kProvinces.size(); i += 3) known |= kProvinces.substr(i, 3) == head;
  if (!known) return Invalid(field, "must start with a province character, e.g. 辽A12345");
  std::string rest(value.substr(3));
  absl::AsciiStrToUpper(&rest);
  if (rest.size() != 6 && rest.size() != 7) return Invalid(field, "wrong length for a plate");
  if (rest[0] < 'A' || rest[0] > 'Z') return Invalid(field, "second character must be a letter");
  for (char c : rest) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      return Invalid(field, "only letters and digits after the province character");
    }
  }
  return std::string(head) + rest;
}

}  // namespace gridbridge::intake
