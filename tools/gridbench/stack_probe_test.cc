#include "stack_probe.h"

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

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

// user 100, nice 20, system 30, idle 500, iowait 7, irq 3, softirq 5,
// steal 11, guest 40 (inside user), guest_nice 0.
constexpr char kProcStat[] = "cpu  100 20 30 500 7 3 5 11 40 0\ncpu0 50 10 15 250 3 1 2 5 20 0\n";

TEST(MachineCpuOfProcStat, SplitsBusyStolenAndIdleTime) {
  auto cpu = MachineCpuOfProcStat(kProcStat);
  ASSERT_TRUE(cpu.has_value());
  EXPECT_EQ(cpu->busy, 100 + 20 + 30 + 3 + 5);  // guest time is not counted twice
  EXPECT_EQ(cpu->steal, 11);
  EXPECT_EQ(cpu->total, 158 + 500 + 7 + 11);
}

TEST(MachineCpuOfProcStat, IsNothingForAnotherLineOrTooFewFields) {
  EXPECT_EQ(MachineCpuOfProcStat("cpu0 50 10 15 250 3 1 2 5 20 0"), std::nullopt);
  EXPECT_EQ(MachineCpuOfProcStat("cpu  100 20 30 500 7 3 5"), std::nullopt);
  EXPECT_EQ(MachineCpuOfProcStat("cpu  100 20 x 500 7 3 5 11"), std::nullopt);
  EXPECT_EQ(MachineCpuOfProcStat(""), std::nullopt);
}

// As this machine's kernel writes it (2 CPUs; rows trimmed).
constexpr char kInterrupts[] =
    "           CPU0       CPU1       \n"
    "  4:        921          0   IO-APIC   4-edge      ttyS0\n"
    "NMI:          0          0   Non-maskable interrupts\n"
    "LOC:    6958432    6979856   Local timer interrupts\n"
    "RES:    4096037    4226297   Rescheduling interrupts\n"
    "CAL:    3417059    3372960   Function call interrupts\n"
    "TLB:     442087     435442   TLB shootdowns\n"
    "ERR:          0\n";

TEST(WakeIpisOfProcInterrupts, AddsReschedulingAndFunctionCallRowsOverTheCpus) {
  EXPECT_EQ(WakeIpisOfProcInterrupts(kInterrupts),
            4096037LL + 4226297 + 3417059 + 3372960);  // not LOC, not TLB
}

TEST(WakeIpisOfProcInterrupts, IsNothingWithoutBothRows) {
  EXPECT_EQ(WakeIpisOfProcInterrupts("RES:  5  6  Rescheduling interrupts\n"), std::nullopt);
  EXPECT_EQ(WakeIpisOfProcInterrupts("CAL:  5  6  Function call interrupts\n"), std::nullopt);
  EXPECT_EQ(WakeIpisOfProcInterrupts("RES:  x\nCAL:  5  6\n"), std::nullopt);
  EXPECT_EQ(WakeIpisOfProcInterrupts(""), std::nullopt);
  // A row's name is the line's first word, not a description's.
  EXPECT_EQ(WakeIpisOfProcInterrupts(" 9:  1  2  RES: x\nCAL:  5  6\n"), std::nullopt);
}

TEST(AddRatio, DividesFiguresThatAreThere) {
  nlohmann::json out = {{"a", 3.0}, {"b", 2.0}, {"zero", 0.0}};
  AddRatio(out, "a_to_b", "a", "b");
  EXPECT_EQ(out["a_to_b"].get<double>(), 1.5);
  AddRatio(out, "missing", "a", "c");
  AddRatio(out, "by_zero", "a", "zero");
  EXPECT_FALSE(out.contains("missing"));
  EXPECT_FALSE(out.contains("by_zero"));
}

TEST(ReadMachineCpu, ReadsThisMachineAndOnlyGrows) {
  auto first = ReadMachineCpu();
  ASSERT_TRUE(first.has_value());
  EXPECT_GT(first->total, first->busy);
  // Busy until the machine has counted a clock tick more of CPU (this
  // spinning is counted whatever else runs), for at most 5 s.
  std::optional<MachineCpu> second;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  volatile long long spin = 0;
  do {
    for (int i = 0; i < 1'000'000; ++i) spin = spin + i;
    second = ReadMachineCpu();
    ASSERT_TRUE(second.has_value());
  } while (second->busy == first->busy && std::chrono::steady_clock::now() < deadline);
  EXPECT_GT(second->busy, first->busy);
  EXPECT_GE(second->total, first->total);
  EXPECT_GE(second->steal, first->steal);
  EXPECT_GE(first->wake_ipis, 0);  // Linux has /proc/interrupts
  EXPECT_GE(second->wake_ipis, first->wake_ipis);
}

TEST(RunQueueWaitOfSchedstat, IsTheSecondField) {
  EXPECT_EQ(RunQueueWaitOfSchedstat("123456 2500000000 77\n"), 2.5);
  EXPECT_EQ(RunQueueWaitOfSchedstat("123456 0 77"), 0.0);
  EXPECT_EQ(RunQueueWaitOfSchedstat(""), std::nullopt);
  EXPECT_EQ(RunQueueWaitOfSchedstat("123456"), std::nullopt);
  EXPECT_EQ(RunQueueWaitOfSchedstat("123456 x 77"), std::nullopt);
  EXPECT_EQ(RunQueueWaitOfSchedstat("123456 12x 77"), std::nullopt);
}

TEST(VoluntarySwitchesOfStatus, FindsTheVoluntaryCountNotTheInvoluntaryOne) {
  constexpr char kStatus[] =
      "Name:\tgrpcpp_sync_ser\nvoluntary_ctxt_switches:\t4825\n"
      "nonvoluntary_ctxt_switches:\t31\n";
  EXPECT_EQ(VoluntarySwitchesOfStatus(kStatus), 4825);
  EXPECT_EQ(VoluntarySwitchesOfStatus("Name:\tx\nnonvoluntary_ctxt_switches:\t31\n"), std::nullopt);
  EXPECT_EQ(VoluntarySwitchesOfStatus("Name:\tx\nvoluntary_ctxt_switches:\t\n"), std::nullopt);
}

// This process's threads: a thread that blocks on a pipe counts its
// switches and the counts only grow.
TEST(ProcessSchedulerCounts, CountsTheThreadsOfThisProcess) {
  auto before = ProcessSchedulerCounts(getpid());
  ASSERT_TRUE(before.has_value());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::thread reader([&] {
    char c;
    for (int i = 0; i < 21; ++i) ASSERT_EQ(read(fds[0], &c, 1), 1);
  });
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the reader blocks each time
    ASSERT_EQ(write(fds[1], "x", 1), 1);
  }
  auto during = ProcessSchedulerCounts(getpid());  // the reader waits for one more
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  reader.join();
  close(fds[0]);
  close(fds[1]);
  ASSERT_TRUE(during.has_value());
  EXPECT_GE(during->voluntary_switches - before->voluntary_switches, 20);
  EXPECT_GE(during->run_queue_wait_s, before->run_queue_wait_s);
  EXPECT_EQ(ProcessSchedulerCounts(-1), std::nullopt);
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
