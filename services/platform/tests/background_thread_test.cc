#include "background_thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "kafka_publisher.h"

namespace gridbridge::platform {
namespace {

struct ThreadState {
  int nice = -100;
  std::string name;
};

ThreadState StateOfThisThread() {
  ThreadState s;
  s.nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  char name[16] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  s.name = name;
  return s;
}

// Runs `fn` on a new thread (so that the test's own thread keeps its
// priority) and returns that thread's state after it.
template <typename Fn>
ThreadState OnNewThread(Fn fn) {
  ThreadState s;
  std::thread([&] {
    fn();
    s = StateOfThisThread();
  }).join();
  return s;
}

class BackgroundThreadTest : public ::testing::Test {
 protected:
  void TearDown() override { SetBackgroundNiceness(0); }
};

TEST_F(BackgroundThreadTest, LowersOnlyTheCallingThreadsPriorityAndNamesIt) {
  const int before = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  SetBackgroundNiceness(7);
  ThreadState child;
  const ThreadState bg = OnNewThread([&] {
    BecomeBackgroundThread("outbox-relay");
    // What it starts afterwards inherits the priority (a re-screen's workers).
    child = OnNewThread([] {});
  });
  EXPECT_EQ(bg.nice, 7);
  EXPECT_EQ(bg.name, "outbox-relay");
  EXPECT_EQ(child.nice, 7);
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), before);
  // Request threads started after it keep the process's priority.
  EXPECT_EQ(OnNewThread([] {}).nice, before);
}

TEST_F(BackgroundThreadTest, NicenessZeroOnlyNamesTheThread) {
  const int before = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  const ThreadState bg = OnNewThread([] { BecomeBackgroundThread("consumer"); });
  EXPECT_EQ(bg.nice, before);
  EXPECT_EQ(bg.name, "consumer");
}

// The nice values of this process's threads whose names start with
// `prefix`, from /proc (field 19 of a task's stat).
std::vector<int> NiceOfThreadsNamed(const std::string& prefix) {
  std::vector<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind(prefix, 0) != 0) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19; ++i) fields >> field;  // state is field 3
    out.push_back(std::stoi(field));
  }
  return out;
}

TEST_F(BackgroundThreadTest, APublishersLibrdkafkaThreadsStartAtBackgroundPriority) {
  SetBackgroundNiceness(7);
  // No broker needed: librdkafka starts its threads when the handle is made.
  auto publisher = KafkaPublisher::Create({"127.0.0.1:1", "background-test", {}});
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  const std::vector<int> nice = NiceOfThreadsNamed("rdk:");
  ASSERT_GE(nice.size(), 2u);  // its main thread and a broker thread at least
  for (int n : nice) EXPECT_EQ(n, 7);
  for (int n : NiceOfThreadsNamed("kafka-delivery")) EXPECT_EQ(n, 7);
  EXPECT_EQ(NiceOfThreadsNamed("kafka-delivery").size(), 1u);
}

TEST_F(BackgroundThreadTest, LongNamesAreCutToWhatLinuxKeeps) {
  const ThreadState t = OnNewThread([] { NameThisThread("a-name-longer-than-fifteen"); });
  EXPECT_EQ(t.name, "a-name-longer-t");
}

}  // namespace
}  // namespace gridbridge::platform
