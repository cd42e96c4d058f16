// The loops (load.h) with calls that end by an alarm on their completion
// queue: what they count, how many calls they keep in flight, and from
// when they time a call.
#include "load.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "grpcpp/alarm.h"
#include "gtest/gtest.h"

namespace gridbridge::bench {
namespace {

// Ends `delay` after it starts; fails when told to. Counts the calls in
// flight (started, not yet yielded by the queue) in `in_flight`, if given.
class AlarmCall final : public StartedCall {
 public:
  AlarmCall(grpc::CompletionQueue& cq, std::chrono::milliseconds delay, bool fails,
            std::atomic<int>* in_flight = nullptr)
      : fails_(fails), in_flight_(in_flight) {
    if (in_flight_ != nullptr) ++*in_flight_;
    alarm_.Set(&cq, std::chrono::system_clock::now() + delay, this);
  }
  bool Succeeded() override {
    if (in_flight_ != nullptr) --*in_flight_;
    return !fails_;
  }

 private:
  bool fails_;
  std::atomic<int>* in_flight_;
  grpc::Alarm alarm_;
};

TEST(RunSaturated, KeepsTheGivenNumberOfCallsInFlightUntilTheTimeIsUp) {
  std::atomic<int> in_flight{0};
  std::atomic<int> most{0};
  std::mutex mu;
  std::set<long long> numbers;
  const LoadResult r = RunSaturated(
      [&](long long i, grpc::CompletionQueue& cq) {
        {
          std::lock_guard lock(mu);
          numbers.insert(i);
        }
        auto call =
            std::make_unique<AlarmCall>(cq, std::chrono::milliseconds(2), i % 2 == 0, &in_flight);
        int now = in_flight.load();
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
        }
        return call;
      },
      /*concurrency=*/5, std::chrono::milliseconds(100), /*first_call=*/7);
  EXPECT_EQ(most.load(), 5);       // all five at once, never more
  EXPECT_EQ(in_flight.load(), 0);  // every call ended before it returned
  // Each call numbered once, from first_call on, and each one counted.
  EXPECT_EQ(r.calls, static_cast<long long>(numbers.size()));
  EXPECT_EQ(*numbers.begin(), 7);
  EXPECT_EQ(*numbers.rbegin(), 7 + r.calls - 1);
  EXPECT_GE(r.calls, 5);
  EXPECT_EQ(r.errors, static_cast<long long>(std::count_if(
                          numbers.begin(), numbers.end(), [](long long i) { return i % 2 == 0; })));
  EXPECT_GE(r.p50_ms, 2.0);  // none ends before its alarm
}

TEST(RunAtRate, StartsEveryCallOnceAndCountsTheFailedOnes) {
  std::vector<long long> started;
  const LoadResult r = RunAtRate(
      [&](long long i, grpc::CompletionQueue& cq) {
        started.push_back(i);
        return std::make_unique<AlarmCall>(cq, std::chrono::milliseconds(2), i % 3 == 0);
      },
      /*rate=*/1000, std::chrono::milliseconds(60), /*first_call=*/100);
  ASSERT_EQ(started.size(), 60u);
  for (size_t k = 0; k < started.size(); ++k)
    EXPECT_EQ(started[k], 100 + static_cast<long long>(k));
  EXPECT_EQ(r.calls, 60);
  EXPECT_EQ(r.errors, 20);   // calls 102, 105, ..., 159
  EXPECT_GE(r.p50_ms, 2.0);  // none ends before its alarm
}

TEST(RunAtRate, TimesACallFromItsScheduledStartSoALateStartShows) {
  // The first start holds the loop for 40 ms: the calls due meanwhile
  // start late, and their latency says so (coordinated omission would
  // hide it behind the calls' own 1 ms).
  const LoadResult r = RunAtRate(
      [&](long long i, grpc::CompletionQueue& cq) {
        if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(40));
        return std::make_unique<AlarmCall>(cq, std::chrono::milliseconds(1), false);
      },
      /*rate=*/1000, std::chrono::milliseconds(60));
  EXPECT_EQ(r.calls, 60);
  EXPECT_EQ(r.errors, 0);
  EXPECT_GE(r.p99_ms, 40.0);
  // Call k (1..39) was due at k ms and started after 40: ~41 - k ms. The
  // median is one of them (~12 ms), not one of the ~1 ms calls after.
  EXPECT_GE(r.p50_ms, 5.0);
}

TEST(RunSaturatedThenHalf, ReadsTheMachineOverTheHalfLoadPhaseAlone) {
  // A long settle between the phases (as the stack working off the
  // saturated one): outside the half-load phase's reading.
  const auto r = RunSaturatedThenHalf(
      "test",
      [](long long, grpc::CompletionQueue& cq) {
        return std::make_unique<AlarmCall>(cq, std::chrono::milliseconds(1), false);
      },
      /*concurrency=*/4, std::chrono::milliseconds(300),
      [] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        return 1.5;
      });
  ASSERT_GT(r.half.calls, 0);
  nlohmann::json out;
  r.half_machine.PerItem("half", r.half.calls, out);
  ASSERT_TRUE(out.contains("half_seconds"));
  EXPECT_GE(out["half_seconds"].get<double>(), 0.2);
  EXPECT_LT(out["half_seconds"].get<double>(), 1.2);
  // (Its busy time may be no clock tick at all: the loop mostly waits.)
  EXPECT_TRUE(out.contains("half_wake_ipis"));
}

TEST(RunSaturatedThenHalf, RunsTheOpenLoopAtAGivenRateInsteadOfHalfTheSaturatedOne) {
  auto call = [](long long, grpc::CompletionQueue& cq) {
    return std::make_unique<AlarmCall>(cq, std::chrono::milliseconds(1), false);
  };
  // 4 calls of 1 ms in flight make ~2,000-4,000 calls/s saturated: half of
  // it would start 300-600 calls in 300 ms, 200 a second start 60.
  const auto r = RunSaturatedThenHalf(
      "test", call, /*concurrency=*/4, std::chrono::milliseconds(300), [] { return 0.0; },
      /*open_rate=*/200);
  EXPECT_EQ(r.half_rate, 200);
  EXPECT_EQ(r.half.calls, 60);
  const auto halved = RunSaturatedThenHalf("test", call, /*concurrency=*/4,
                                           std::chrono::milliseconds(300), [] { return 0.0; });
  EXPECT_DOUBLE_EQ(halved.half_rate, halved.saturated.calls_per_s / 2);
}

}  // namespace
}  // namespace gridbridge::bench
