// The risk-area list as a check takes it (RiskAreaCache::Recent): from
// memory while it was confirmed in force recently, read again once too old
// or once a fence reported a newer version; against a real redis-server,
// whose round trips are counted.
#include <thread>

#include "gtest/gtest.h"
#include "store_test_fixtures.h"

namespace gridbridge::screening {
namespace {

using test::RedisRoundTrips;

class RiskAreaCacheTest : public ::testing::Test, protected test::InProcessScreening {
 protected:
  // The version of the list Recent(max_age) gives, and whether it read Redis.
  std::pair<long long, bool> RecentVersion(absl::Duration max_age) {
    const double before = RedisRoundTrips();
    auto index = risk_areas_.Recent(max_age);
    EXPECT_TRUE(index.ok()) << index.status();
    if (!index.ok()) return {-1, true};
    return {(*index)->list().version(), RedisRoundTrips() != before};
  }
};

TEST_F(RiskAreaCacheTest, ARecentListIsTakenFromMemoryUntilItIsTooOld) {
  CommitShaoyangList(1);
  EXPECT_EQ(RecentVersion(absl::Minutes(1)), std::make_pair(1LL, true));  // nothing cached yet
  CommitShaoyangList(2);                                                  // by another replica
  EXPECT_EQ(RecentVersion(absl::Minutes(1)), std::make_pair(1LL, false));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(RecentVersion(absl::Milliseconds(50)), std::make_pair(2LL, true));
  EXPECT_EQ(RecentVersion(absl::Minutes(1)), std::make_pair(2LL, false));
  auto current = risk_areas_.Current();  // always reads the version
  ASSERT_TRUE(current.ok());
  EXPECT_EQ((*current)->list().version(), 2);
}

TEST_F(RiskAreaCacheTest, AFenceReportingANewerVersionHasTheNextCheckReadIt) {
  CommitShaoyangList(1);
  ASSERT_TRUE(risk_areas_.Current().ok());
  CommitShaoyangList(2);
  risk_areas_.Observe(1);  // an older fence changes nothing
  EXPECT_EQ(RecentVersion(absl::Minutes(1)), std::make_pair(1LL, false));
  risk_areas_.Observe(2);
  EXPECT_EQ(RecentVersion(absl::Minutes(1)), std::make_pair(2LL, true));
  EXPECT_EQ(RecentVersion(absl::Minutes(1)), std::make_pair(2LL, false));
}

TEST_F(RiskAreaCacheTest, AFenceReportingTheCachedVersionKeepsItInForce) {
  CommitShaoyangList(1);
  ASSERT_TRUE(risk_areas_.Current().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  risk_areas_.Observe(1);  // a check's fence: v1 is still in force
  EXPECT_EQ(RecentVersion(absl::Milliseconds(50)), std::make_pair(1LL, false));
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(RecentVersion(absl::Milliseconds(50)), std::make_pair(1LL, true));
}

}  // namespace
}  // namespace gridbridge::screening
