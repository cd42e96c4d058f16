#include "stack_probe.h"

#include "gtest/gtest.h"

namespace gridbridge::bench {
namespace {

// As Redis 7 answers INFO memory: CRLF line ends, a section header, fields
// whose names start alike.
constexpr char kInfo[] =
    "# Memory\r\nused_memory:254663728\r\nused_memory_human:242.87M\r\n"
    "used_memory_rss:270000128\r\n";

TEST(InfoField, FindsTheFieldByItsWholeName) {
  EXPECT_EQ(InfoField(kInfo, "used_memory"), "254663728");
  EXPECT_EQ(InfoField(kInfo, "used_memory_human"), "242.87M");
  EXPECT_EQ(InfoField(kInfo, "used_memory_rss"), "270000128");
}

TEST(InfoField, IsNothingWithoutTheField) {
  EXPECT_EQ(InfoField(kInfo, "used_mem"), std::nullopt);
  EXPECT_EQ(InfoField(kInfo, "maxmemory"), std::nullopt);
  EXPECT_EQ(InfoField("", "used_memory"), std::nullopt);
}

}  // namespace
}  // namespace gridbridge::bench
