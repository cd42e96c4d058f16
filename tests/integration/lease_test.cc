// Leases in a real redis-server: one holder at a time, renewed by it,
// free again after its time to live.
#include "lease.h"

#include <thread>

#include "gtest/gtest.h"
#include "stack.h"

namespace gridbridge::platform {
namespace {

TEST(Lease, OneHolderAtATimeRenewedByItAndFreeAfterItsTime) {
  testing::RedisServer server;
  RedisOptions options;
  options.port = server.port();
  RedisClient redis(options);
  const absl::Duration ttl = absl::Milliseconds(1000);
  EXPECT_TRUE(*AcquireLease(redis, "lease", "replica-a", ttl));
  EXPECT_FALSE(*AcquireLease(redis, "lease", "replica-b", ttl));
  // The holder renews it: after more than one ttl it is still a's.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_TRUE(*AcquireLease(redis, "lease", "replica-a", ttl));
  }
  EXPECT_FALSE(*AcquireLease(redis, "lease", "replica-b", ttl));
  // Not renewed, it lapses and b takes it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  EXPECT_TRUE(*AcquireLease(redis, "lease", "replica-b", ttl));
  EXPECT_FALSE(*AcquireLease(redis, "lease", "replica-a", ttl));
}

}  // namespace
}  // namespace gridbridge::platform
