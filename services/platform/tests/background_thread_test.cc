#include "background_thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

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

// This process's threads: id -> nice value (field 19 of a task's stat).
std::map<std::string, int> NiceOfThreads() {
  std::map<std::string, int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
    if (stat.empty()) continue;  // ended meanwhile
    // jemalloc's purging threads (this binary links it as the servers do)
    // start when it pleases at the priority of the thread that started
    // the first of them: the allocator's, not the code under test's.
    if (stat.find("(jemalloc_bg_thd)") != std::string::npos) continue;
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19; ++i) fields >> field;  // state is field 3
    out[task.path().filename().string()] = std::stoi(field);
  }
  return out;
}

TEST_F(BackgroundThreadTest, APublishersThreadsAndLibrdkafkasStartAtBackgroundPriority) {
  const std::map<std::string, int> before = NiceOfThreads();
  SetBackgroundNiceness(7);
  // No broker needed: librdkafka starts its threads when the handle is made
  // (a nice value is inherited when a thread starts, so none can be early).
  auto publisher = KafkaPublisher::Create({"127.0.0.1:1", "background-test", {}});
  ASSERT_TRUE(publisher.ok()) << publisher.status();
  // The delivery reports' poller lowers its own priority once it runs.
  auto all_background = [](const std::map<std::string, int>& threads) {
    return std::all_of(threads.begin(), threads.end(), [](const auto& t) { return t.second == 7; });
  };
  std::map<std::string, int> started;
  for (int i = 0; i < 500 && (started.size() < 3 || !all_background(started)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    started.clear();
    for (const auto& [tid, nice] : NiceOfThreads()) {
      if (!before.contains(tid)) started[tid] = nice;
    }
  }
  // librdkafka's main and broker threads, and the delivery reports' poller.
  ASSERT_GE(started.size(), 3u);
  for (const auto& [tid, nice] : started) EXPECT_EQ(nice, 7) << "thread " << tid;
}

TEST_F(BackgroundThreadTest, LongNamesAreCutToWhatLinuxKeeps) {
  const ThreadState t = OnNewThread([] { NameThisThread("a-name-longer-than-fifteen"); });
  EXPECT_EQ(t.name, "a-name-longer-t");
}

}  // namespace
}  // namespace gridbridge::platform
