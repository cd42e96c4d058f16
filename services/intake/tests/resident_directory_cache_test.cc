#include "resident_directory_cache.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace gridbridge::intake {
namespace {

TEST(ResidentDirectoryCache, RemembersTheFirstOwnerOnly) {
  ResidentDirectoryCache cache(100);
  EXPECT_FALSE(cache.Find("r1").has_value());
  cache.Remember("r1", "431102001001g01");
  cache.Remember("r1", "431102001001g02");  // a claim never changes: keep the first
  EXPECT_EQ(cache.Find("r1"), "431102001001g01");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ResidentDirectoryCache, StopsRememberingWhenFull) {
  ResidentDirectoryCache cache(160);  // 10 per shard
  for (int i = 0; i < 5000; ++i) cache.Remember("r" + std::to_string(i), "g");
  EXPECT_LE(cache.size(), 160u);
  EXPECT_GE(cache.size(), 100u);
  int found = 0;
  for (int i = 0; i < 5000; ++i) found += cache.Find("r" + std::to_string(i)).has_value();
  EXPECT_EQ(static_cast<size_t>(found), cache.size());
}

TEST(ResidentDirectoryCache, ConcurrentReadersAndWritersAgree) {
  ResidentDirectoryCache cache(100000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string id = "r" + std::to_string(i);
        cache.Remember(id, "g" + std::to_string(i % 7));
        auto owner = cache.Find(id);
        if (!owner || *owner != "g" + std::to_string(i % 7)) ADD_FAILURE() << id << " in " << t;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(cache.size(), 2000u);
}

}  // namespace
}  // namespace gridbridge::intake
