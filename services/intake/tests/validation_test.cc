#include "validation.h"

#include "gtest/gtest.h"

namespace gridbridge::intake {
namespace {

const absl::CivilDay kToday(2022, 4, 20);

TEST(IdCard, ValidNumberYieldsBirthDateAndSex) {
  auto info = ParseIdCard("id", "431102199001011239", kToday);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->birth_date.year(), 1990);
  EXPECT_EQ(info->birth_date.month(), 1);
  EXPECT_EQ(info->birth_date.day(), 1);
  EXPECT_EQ(info->sex, v1::SEX_MALE);  // 17th digit 3: odd
  EXPECT_EQ(info->region_code, "431102");
  auto woman = ParseIdCard("id", "210102198503150021", kToday);
  ASSERT_TRUE(woman.ok());
  EXPECT_EQ(woman->sex, v1::SEX_FEMALE);  // 17th digit 2: even
}

TEST(IdCard, CheckDigitXIsAcceptedInEitherCase) {
  auto upper = ParseIdCard("id", "11010519491231002X", kToday);
  ASSERT_TRUE(upper.ok()) << upper.status();
  auto lower = ParseIdCard("id", "11010519491231002x", kToday);
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->normalized, "11010519491231002X");
}

TEST(IdCard, LeapDayBirthIsValid) {
  EXPECT_TRUE(ParseIdCard("id", "440305199202291012", kToday).ok());
}

TEST(IdCard, RejectionsNameTheFieldAndTheReason) {
  struct Case {
    const char* number;
    const char* reason;
  } cases[] = {
      {"43110219900101123", "18 characters"},
      {"4311021990010112399", "18 characters"},
      {"431102199001011230", "check digit"},
      {"43110219900101123A", "17 digits"},
      {"4311021990O101123X", "17 digits"},
      {"991102199001011238", "province"},
      {"431102199002301238", "birth date"},
      {"431102203001011238", "birth date"},  // born in 2030
      {"", "18 characters"},
  };
  for (const auto& c : cases) {
    auto r = ParseIdCard("person.id_card_number", c.number, kToday);
    ASSERT_FALSE(r.ok()) << c.number;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind("person.id_card_number: ", 0), 0u) << r.status();
    EXPECT_NE(r.status().message().find(c.reason), std::string::npos)
        << c.number << ": " << r.status();
  }
}

TEST(Phone, MobileAndLandlineAreNormalized) {
  EXPECT_EQ(*NormalizePhone("phone", "13812345678"), "13812345678");
  EXPECT_EQ(*NormalizePhone("phone", "+86 138 1234 5678"), "13812345678");
  EXPECT_EQ(*NormalizePhone("phone", "0746-1234567"), "0746-1234567");
  EXPECT_EQ(*NormalizePhone("phone", "07461234567"), "07461234567");
}

TEST(Phone, BadNumbersAreRejected) {
  for (const char* p :
       {"", "12812345678", "1381234567", "138123456789", "0746-123", "abc", "1381234567a"}) {
    auto r = NormalizePhone("phone", p);
    EXPECT_FALSE(r.ok()) << p;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().rfind("phone: ", 0), 0u);
    }
  }
}

TEST(DivisionCode, MustExist) {
  EXPECT_TRUE(CheckDivisionCode("c", "430500").ok());  // Shaoyang
  EXPECT_TRUE(CheckDivisionCode("c", "440300").ok());  // Shenzhen
  EXPECT_FALSE(CheckDivisionCode("c", "43050").ok());
  EXPECT_FALSE(CheckDivisionCode("c", "4305000").ok());
  EXPECT_FALSE(CheckDivisionCode("c", "43O500").ok());
  EXPECT_FALSE(CheckDivisionCode("c", "990500").ok());
  EXPECT_TRUE(CheckDivisionCode("c", "431102").ok());  // Lingling district
  EXPECT_EQ(CheckDivisionCode("origin", "439999").message(),
            "origin: not a known administrative division (GB/T 2260), e.g. 430500")
      << "a known province prefix is not enough";
}

TEST(Plate, ProvinceLetterAndFiveOrSix) {
  EXPECT_EQ(*NormalizePlate("p", "辽a12345"), "辽A12345");
  EXPECT_EQ(*NormalizePlate("p", "湘M123456"), "湘M123456");  // new energy
  EXPECT_FALSE(NormalizePlate("p", "XXA12345").ok());
  EXPECT_FALSE(NormalizePlate("p", "辽112345").ok());
  EXPECT_FALSE(NormalizePlate("p", "辽A1234").ok());
  EXPECT_FALSE(NormalizePlate("p", "辽A12-45").ok());
}

TEST(Text, LengthInCharactersNotBytes) {
  EXPECT_TRUE(CheckText("name", "彭", 1, 1).ok());
  EXPECT_TRUE(CheckText("name", std::string(64, 'a'), 1, 64).ok());
  auto too_long = CheckText("name", std::string(65, 'a'), 1, 64);
  EXPECT_NE(too_long.message().find("name: must be 1..64"), std::string::npos);
  EXPECT_EQ(CheckText("name", "", 1, 64).message(), "name: required");
}

TEST(Text, MalformedUtf8AndControlCharactersAreRejected) {
  EXPECT_EQ(CheckText("note", "\xff\xfe", 0, 10).message(), "note: not valid UTF-8");
  EXPECT_EQ(CheckText("note", "\xe5\xbd", 0, 10).message(), "note: not valid UTF-8");  // truncated
  EXPECT_EQ(CheckText("note", "\xc0\xaf", 0, 10).message(), "note: not valid UTF-8");  // overlong
  EXPECT_EQ(CheckText("note", "\xed\xa0\x80", 0, 10).message(),
            "note: not valid UTF-8");  // surrogate
  EXPECT_FALSE(CheckText("name", std::string("a\0b", 3), 0, 10).ok());
  EXPECT_FALSE(CheckText("name", "a\nb", 0, 10).ok());
  EXPECT_TRUE(CheckText("note", "a\nb", 0, 10, /*multiline=*/true).ok());
}

TEST(RequestId, AllowedCharacters) {
  EXPECT_TRUE(CheckRequestId("request_id", "import-2022.04.11:row_17").ok());
  EXPECT_FALSE(CheckRequestId("request_id", "").ok());
  EXPECT_FALSE(CheckRequestId("request_id", "has space").ok());
  EXPECT_FALSE(CheckRequestId("request_id", std::string(65, 'a')).ok());
}

TEST(Dates, CalendarAndRange) {
  common::v1::Date d;
  d.set_year(2022);
  d.set_month(2);
  d.set_day(30);
  EXPECT_EQ(CheckDate("date", d, absl::CivilDay(2020, 1, 1), kToday).message(),
            "date: not a calendar date");
  d.set_day(28);
  EXPECT_TRUE(CheckDate("date", d, absl::CivilDay(2020, 1, 1), kToday).ok());
  d.set_year(2023);
  EXPECT_FALSE(CheckDate("date", d, absl::CivilDay(2020, 1, 1), kToday).ok());
}

}  // namespace
}  // namespace gridbridge::intake
