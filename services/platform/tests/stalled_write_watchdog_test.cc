#include "stalled_write_watchdog.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

using std::chrono::milliseconds;

// Waits up to 5 s for `cuts` to reach `n`.
bool CutsReach(const std::atomic<int>& cuts, int n) {
  for (int i = 0; i < 500 && cuts < n; ++i) std::this_thread::sleep_for(milliseconds(10));
  return cuts >= n;
}

TEST(StalledWriteWatchdogTest, AWriteBlockedPastTheLimitWhileOthersWaitIsCutOnce) {
  std::atomic<int> cuts{0};
  StalledWriteWatchdog watchdog(
      absl::Milliseconds(100), [] { return true; }, [&] { ++cuts; });
  watchdog.WriteStarted();
  ASSERT_TRUE(CutsReach(cuts, 1));
  EXPECT_TRUE(watchdog.cut());
  watchdog.WriteEnded();
  watchdog.WriteStarted();  // a second stall of the same (already cut) call
  std::this_thread::sleep_for(milliseconds(400));
  EXPECT_EQ(cuts.load(), 1);
}

TEST(StalledWriteWatchdogTest, ASlowReaderNobodyWaitsOnIsLeftAloneUntilSomeoneDoes) {
  std::atomic<int> cuts{0};
  std::atomic<bool> others_waiting{false};
  StalledWriteWatchdog watchdog(
      absl::Milliseconds(100), [&] { return others_waiting.load(); }, [&] { ++cuts; });
  watchdog.WriteStarted();
  std::this_thread::sleep_for(milliseconds(400));
  EXPECT_EQ(cuts.load(), 0);
  EXPECT_FALSE(watchdog.cut());
  others_waiting = true;
  EXPECT_TRUE(CutsReach(cuts, 1));
}

TEST(StalledWriteWatchdogTest, WritesThatEndWithinTheLimitAreNeverCut) {
  std::atomic<int> cuts{0};
  StalledWriteWatchdog watchdog(
      absl::Milliseconds(100), [] { return true; }, [&] { ++cuts; });
  for (int i = 0; i < 20; ++i) {
    watchdog.WriteStarted();
    std::this_thread::sleep_for(milliseconds(30));
    watchdog.WriteEnded();
  }
  // Idle (no write in progress) for longer than the limit, too.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(cuts.load(), 0);
}

}  // namespace
}  // namespace gridbridge::platform
