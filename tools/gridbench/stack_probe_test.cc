#include "stack_probe.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

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

// A /proc/<pid>/stat line whose name holds a space and a parenthesis; utime
// 250 and stime 150 ticks.
constexpr char kStat[] =
    "4242 (gridbridge-scr) x) S 1 4242 4242 0 -1 4194560 12345 0 0 0 250 150 7 3 20 0 9 0 "
    "100 123456789 2000 18446744073709551615\n";

TEST(CpuSecondsOfStat, AddsUserAndSystemTicks) {
  EXPECT_EQ(CpuSecondsOfStat(kStat, 100), 4.0);
  EXPECT_EQ(CpuSecondsOfStat(kStat, 1000), 0.4);
}

TEST(CpuSecondsOfStat, IsNothingForALineThatDoesNotParse) {
  EXPECT_EQ(CpuSecondsOfStat("", 100), std::nullopt);
  EXPECT_EQ(CpuSecondsOfStat("4242 (short) S 1 2", 100), std::nullopt);
  EXPECT_EQ(CpuSecondsOfStat(kStat, 0), std::nullopt);
  EXPECT_EQ(CpuSecondsOfStat("4242 (x) S 1 2 3 4 5 6 7 8 9 10 utime 150", 100), std::nullopt);
}

TEST(ProcessCpuSeconds, ReadsThisProcess) {
  EXPECT_GE(ProcessCpuSeconds(getpid()), 0.0);
  EXPECT_EQ(ProcessCpuSeconds(-1), -1);
}

TEST(StackProbeTest, ThePeakRssRemembersMemoryGivenBackUntilReset) {
  const size_t size = 64 << 20;
  void* block = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(block, MAP_FAILED);
  std::memset(block, 1, size);  // resident now
  ASSERT_EQ(munmap(block, size), 0);
  const double now = RssMib(getpid());
  EXPECT_GE(PeakRssMib(getpid()), now + 60) << "the 64 MiB held a moment ago";
  ASSERT_TRUE(ResetPeakRss(getpid()));
  EXPECT_LT(PeakRssMib(getpid()), now + 10) << "reset to what is held now";
  EXPECT_EQ(PeakRssMib(-1), -1);
}

}  // namespace
}  // namespace gridbridge::bench
