#include "in_flight_budget.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace gridbridge::platform {
namespace {

const std::function<bool()> kNever = [] { return false; };

TEST(InFlightBudgetTest, LeasesHoldTheirUnitsUntilLetGo) {
  prometheus::Registry registry;
  auto& gauge = prometheus::BuildGauge().Name("rows").Register(registry).Add({});
  InFlightBudget budget(1000, "rows", &gauge);
  {
    auto a = budget.Acquire(600, absl::Seconds(1), kNever);
    ASSERT_TRUE(a.ok()) << a.status();
    auto b = budget.Acquire(400, absl::Seconds(1), kNever);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(budget.in_use(), 1000u);
    EXPECT_EQ(gauge.Value(), 1000);
    InFlightBudget::Lease moved = std::move(*a);
    EXPECT_EQ(budget.in_use(), 1000u) << "a move hands the units on, once";
  }
  EXPECT_EQ(budget.in_use(), 0u);
  EXPECT_EQ(gauge.Value(), 0);
  EXPECT_EQ(budget.high_water(), 1000u);
}

TEST(InFlightBudgetTest, AStreamWaitsForRoomAndNeverPassesTheBudget) {
  InFlightBudget budget(1000, "rows");
  // Eight streams taking 300-700 rows at a time, holding them a moment.
  std::atomic<int> granted{0};
  std::vector<std::thread> streams;
  for (int s = 0; s < 8; ++s) {
    streams.emplace_back([&, s] {
      for (int i = 0; i < 20; ++i) {
        auto lease = budget.Acquire(300 + 50 * ((s + i) % 9), absl::Seconds(30), kNever);
        ASSERT_TRUE(lease.ok()) << lease.status();
        ASSERT_LE(budget.in_use(), 1000u);
        ++granted;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  for (auto& t : streams) t.join();
  EXPECT_EQ(granted.load(), 160);
  EXPECT_EQ(budget.in_use(), 0u);
  EXPECT_LE(budget.high_water(), 1000u);
  EXPECT_GE(budget.high_water(), 600u) << "streams did hold rows at the same time";
}

TEST(InFlightBudgetTest, AWaiterGetsTheUnitsAnotherLetsGo) {
  InFlightBudget budget(1000, "rows");
  auto held = budget.Acquire(1000, absl::Seconds(1), kNever);
  ASSERT_TRUE(held.ok());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto lease = budget.Acquire(500, absl::Seconds(30), kNever);
    EXPECT_TRUE(lease.ok()) << lease.status();
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(got.load()) << "no room yet";
  EXPECT_EQ(budget.waiting(), 1u);
  *held = InFlightBudget::Lease();  // let go
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(budget.waiting(), 0u);
}

TEST(InFlightBudgetTest, WaitingEndsOnStopOrAfterPatienceAndTooMuchIsRefused) {
  InFlightBudget budget(1000, "import rows");
  auto held = budget.Acquire(900, absl::Seconds(1), kNever);
  ASSERT_TRUE(held.ok());

  auto late = budget.Acquire(200, absl::Milliseconds(120), kNever);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(late.status().message().find("900 import rows of this server's 1000"),
            std::string::npos)
      << late.status();

  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
  });
  auto stopped = budget.Acquire(200, absl::Seconds(30), [&] { return stop.load(); });
  stopper.join();
  EXPECT_EQ(stopped.status().code(), absl::StatusCode::kCancelled);

  auto huge = budget.Acquire(1001, absl::Seconds(1), kNever);
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(budget.in_use(), 900u) << "refusals take nothing";
  EXPECT_EQ(budget.waiting(), 0u) << "nor leave a waiter counted";
}

}  // namespace
}  // namespace gridbridge::platform
