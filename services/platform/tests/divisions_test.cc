#include "divisions.h"

#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

TEST(Divisions, BuiltinTableHoldsEveryLevelOfGbT2260) {
  const Divisions& t = Divisions::Builtin();
  EXPECT_GT(t.size(), 3300u);
  ASSERT_NE(t.Find("430000"), nullptr);
  EXPECT_EQ(t.Find("430000")->level, DivisionLevel::kProvince);
  ASSERT_NE(t.Find("430500"), nullptr);
  EXPECT_EQ(t.Find("430500")->name, "邵阳市");
  EXPECT_EQ(t.Find("430500")->level, DivisionLevel::kCity);
  ASSERT_NE(t.Find("431102"), nullptr);
  EXPECT_EQ(t.Find("431102")->name, "零陵区");
  EXPECT_EQ(t.Find("431102")->level, DivisionLevel::kCounty);
  EXPECT_NE(t.Find("440300"), nullptr) << "Shenzhen";
  EXPECT_NE(t.Find("810000"), nullptr) << "Hong Kong";
  EXPECT_EQ(t.Find("439999"), nullptr);
  EXPECT_EQ(t.Find("990000"), nullptr);
  EXPECT_EQ(t.Find("4305"), nullptr);
}

TEST(Divisions, ProvincesAndCitiesCoverWhatIsInThem) {
  const Divisions& t = Divisions::Builtin();
  EXPECT_TRUE(t.Covers("430500", "430522")) << "Shaoyang city covers Xinshao county";
  EXPECT_TRUE(t.Covers("430500", "430500"));
  EXPECT_TRUE(t.Covers("430000", "430522"));
  EXPECT_FALSE(t.Covers("430522", "430500")) << "a county does not cover its city";
  EXPECT_FALSE(t.Covers("430500", "431102"));
  EXPECT_FALSE(t.Covers("430500", "439999")) << "unknown codes are covered by nothing";
}

TEST(Divisions, DescriptionsNameTheProvinceAndCity) {
  const Divisions& t = Divisions::Builtin();
  EXPECT_EQ(t.Describe("430522"), "湖南省邵阳市新邵县 (430522)");
  EXPECT_EQ(t.Describe("440300"), "广东省深圳市 (440300)");
  EXPECT_EQ(t.Describe("110101"), "北京市东城区 (110101)") << "no 市辖区 placeholder";
  EXPECT_EQ(t.Describe("439999"), "439999");
}

TEST(Divisions, MalformedTablesNameTheLine) {
  EXPECT_TRUE(Divisions::Parse("# c\ncode,level,name\n430000,province,湖南省\n").ok());
  auto bad = Divisions::Parse("code,level,name\n430000,province,湖南省\n43050,city,邵阳市\n");
  EXPECT_EQ(bad.status().message(), "divisions line 3: code must be 6 digits");
  EXPECT_FALSE(Divisions::Parse("code,level,name\n430500,province,x\n").ok())
      << "a province code ends in 0000";
  EXPECT_FALSE(Divisions::Parse("code,level,name\n430000,province,a\n430000,province,b\n").ok());
  EXPECT_FALSE(Divisions::Parse("430000,province,a\n").ok()) << "no header";
}

}  // namespace
}  // namespace gridbridge::platform
