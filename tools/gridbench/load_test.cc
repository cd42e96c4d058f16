// The open loop (RunAtRate) with calls that end by an alarm on its
// completion queue: what it counts, and from when it times a call.
#include "load.h"

#include <thread>

#include "grpcpp/alarm.h"
#include "gtest/gtest.h"

namespace gridbridge::bench {
namespace {

// Ends `delay` after it starts; fails when told to.
class AlarmCall final : public StartedCall {
 public:
  AlarmCall(grpc::CompletionQueue& cq, std::chrono::milliseconds delay, bool fails)
      : fails_(fails) {
    alarm_.Set(&cq, std::chrono::system_clock::now() + delay, this);
  }
  bool Succeeded() override { return !fails_; }

 private:
  bool fails_;
  grpc::Alarm alarm_;
};

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
}

}  // namespace
}  // namespace gridbridge::bench
