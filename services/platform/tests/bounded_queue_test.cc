#include "bounded_queue.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

TEST(BoundedQueueTest, KeepsOrderAndDrainsAfterClose) {
  BoundedQueue<int> q(2);
  std::vector<int> got;
  std::thread consumer([&] {
    while (auto item = q.Pop()) got.push_back(*item);
  });
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(q.Push(i));
  q.Close();
  consumer.join();
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], i);
  EXPECT_FALSE(q.Push(100)) << "closed";
}

TEST(BoundedQueueTest, AProducerWaitsForRoom) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE(q.Push(1));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    q.Push(2);
    pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(pushed) << "the queue holds one item";
  EXPECT_EQ(q.Pop(), 1);
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(q.TryPop(), 2);
  EXPECT_EQ(q.TryPop(), std::nullopt);
}

TEST(BoundedQueueTest, CancelReleasesWaitingProducersAndConsumersAndDropsItems) {
  BoundedQueue<int> full(1), empty(1);
  ASSERT_TRUE(full.Push(1));
  std::atomic<int> released{0};
  std::thread producer([&] {
    if (!full.Push(2)) ++released;
  });
  std::thread consumer([&] {
    if (!empty.Pop()) ++released;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  full.Cancel();
  empty.Cancel();
  producer.join();
  consumer.join();
  EXPECT_EQ(released, 2);
  EXPECT_EQ(full.Pop(), std::nullopt) << "what was queued is dropped";
}

}  // namespace
}  // namespace gridbridge::platform
