#include "background_arena.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "background_thread.h"
#include "gtest/gtest.h"
#include "kafka_config.h"

namespace gridbridge::platform {
namespace {

template <typename Fn>
std::optional<unsigned> ArenaOfNewThread(Fn fn) {
  std::optional<unsigned> arena;
  std::thread([&] {
    fn();
    arena = ThisThreadArena();
  }).join();
  return arena;
}

// Needs jemalloc as the allocator: this test binary links it as the
// servers do, except in sanitizer builds (their allocator is the
// sanitizer's), where there is nothing to test.
bool HaveJemalloc() { return ThisThreadArena().has_value(); }

TEST(BackgroundArenaTest, BackgroundThreadsShareAnArenaNoRequestThreadGets) {
  if (!HaveJemalloc()) GTEST_SKIP() << "not linked with jemalloc (sanitizer build)";
  const auto relay = ArenaOfNewThread([] { BecomeBackgroundThread("outbox-relay"); });
  const auto consumer = ArenaOfNewThread([] { BecomeBackgroundThread("consumer"); });
  ASSERT_TRUE(relay.has_value() && consumer.has_value());
  EXPECT_EQ(*relay, *consumer);
  // jemalloc gives plain threads its automatic arenas, never the one made
  // for background threads; several, to meet each automatic arena.
  for (int i = 0; i < 16; ++i) {
    const auto request = ArenaOfNewThread([] {});
    ASSERT_TRUE(request.has_value());
    EXPECT_NE(*request, *relay);
  }
}

TEST(BackgroundArenaTest, UseBackgroundArenaMovesTheCallingThread) {
  if (!HaveJemalloc()) GTEST_SKIP() << "not linked with jemalloc (sanitizer build)";
  const auto before = ArenaOfNewThread([] {});
  const auto after = ArenaOfNewThread([] { UseBackgroundArena(); });
  ASSERT_TRUE(before.has_value() && after.has_value());
  EXPECT_NE(*before, *after);
  EXPECT_EQ(after, ArenaOfNewThread([] { BecomeBackgroundThread("measure-timer"); }));
}

TEST(BackgroundArenaTest, KeepFreedPagesForReachesArenasMadeBeforeAndAfter) {
  if (!HaveJemalloc()) GTEST_SKIP() << "not linked with jemalloc (sanitizer build)";
  const auto background = ArenaOfNewThread([] { UseBackgroundArena(); });
  const auto before = ArenaOfNewThread([] {});
  ASSERT_TRUE(background.has_value() && before.has_value());
  // The servers' start-up option (jemalloc_options.cc, linked in here too).
  ASSERT_EQ(ArenaDirtyDecayMs(*before), 1000);
  ASSERT_TRUE(KeepFreedPagesFor(absl::Seconds(10)).ok());
  EXPECT_EQ(ArenaDirtyDecayMs(*background), 10000);
  EXPECT_EQ(ArenaDirtyDecayMs(*before), 10000);
  // jemalloc hands threads its automatic arenas round the cores; new ones
  // made now start from the new default.
  for (int i = 0; i < 8; ++i) {
    const auto later = ArenaOfNewThread([] {});
    ASSERT_TRUE(later.has_value());
    EXPECT_EQ(ArenaDirtyDecayMs(*later), 10000);
  }
  // Back to the servers' option for the tests after this one.
  ASSERT_TRUE(KeepFreedPagesFor(absl::Seconds(1)).ok());
  EXPECT_EQ(ArenaDirtyDecayMs(*before), 1000);
}

TEST(BackgroundArenaTest, ReturnFreedPagesGivesBackWhatTheDecayWouldKeep) {
  if (!HaveJemalloc()) GTEST_SKIP() << "not linked with jemalloc (sanitizer build)";
  ASSERT_TRUE(KeepFreedPagesFor(absl::Seconds(10)).ok());
  // 64 MiB in blocks under jemalloc's oversize threshold (8 MiB; larger
  // ones go to an arena of their own that purges at once), written so
  // that the pages are resident, then freed: kept 10 s.
  constexpr size_t kBlock = 256 << 10;
  constexpr int kBlocks = 256;
  std::thread([] {
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int i = 0; i < kBlocks; ++i) {
      blocks.push_back(std::make_unique<char[]>(kBlock));
      std::memset(blocks.back().get(), 1, kBlock);
    }
  }).join();
  const auto kept = FreedBytesKept();
  ASSERT_TRUE(kept.has_value());
  EXPECT_GE(*kept, kBlock * kBlocks / 2);
  ASSERT_TRUE(ReturnFreedPages().ok());
  const auto after = FreedBytesKept();
  ASSERT_TRUE(after.has_value());
  EXPECT_LT(*after, size_t{1} << 20);
  ASSERT_TRUE(KeepFreedPagesFor(absl::Seconds(1)).ok());
}

// The arenas librdkafka's threads allocate from, as seen by an interceptor
// added after the platform's (interceptors run in the order added).
struct SeenArenas {
  std::mutex mu;
  std::set<unsigned> arenas;
  int threads = 0;
};

rd_kafka_resp_err_t RecordArena(rd_kafka_t*, rd_kafka_thread_type_t, const char*, void* opaque) {
  auto* seen = static_cast<SeenArenas*>(opaque);
  const auto arena = ThisThreadArena();
  std::lock_guard<std::mutex> lock(seen->mu);
  ++seen->threads;
  if (arena.has_value()) seen->arenas.insert(*arena);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t AddRecorder(rd_kafka_t* rk, const rd_kafka_conf_t*, void* opaque, char*,
                                size_t) {
  return rd_kafka_interceptor_add_on_thread_start(rk, "test-recorder", RecordArena, opaque);
}

void AddRecorderTo(rd_kafka_conf_t* conf, SeenArenas* seen);

// Configuration interceptors are not copied with the configuration: they
// add themselves to the copy (as the platform's does).
rd_kafka_resp_err_t RecorderOnDup(rd_kafka_conf_t* copy, const rd_kafka_conf_t*, size_t,
                                  const char**, void* opaque) {
  AddRecorderTo(copy, static_cast<SeenArenas*>(opaque));
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

void AddRecorderTo(rd_kafka_conf_t* conf, SeenArenas* seen) {
  rd_kafka_conf_interceptor_add_on_new(conf, "test-recorder", AddRecorder, seen);
  rd_kafka_conf_interceptor_add_on_conf_dup(conf, "test-recorder", RecorderOnDup, seen);
}

TEST(BackgroundArenaTest, LibrdkafkasThreadsAllocateFromTheBackgroundArena) {
  if (!HaveJemalloc()) GTEST_SKIP() << "not linked with jemalloc (sanitizer build)";
  const auto background = ArenaOfNewThread([] { UseBackgroundArena(); });
  ASSERT_TRUE(background.has_value());
  auto conf = MakeKafkaConf({{"bootstrap.servers", "127.0.0.1:1"}});
  ASSERT_TRUE(conf.ok()) << conf.status();
  SeenArenas seen;
  // The C++ client copies the configuration: the platform's interceptor
  // must come along with the copy (the recorder, added the same way, too).
  AddRecorderTo((*conf)->c_ptr_global(), &seen);
  std::string err;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf->get(), err));
  ASSERT_NE(producer, nullptr) << err;
  // librdkafka's main thread and a broker thread per bootstrap server (and
  // its internal one) start when the handle is made.
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> lock(seen.mu);
      if (seen.threads >= 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard<std::mutex> lock(seen.mu);
  EXPECT_GE(seen.threads, 2);
  EXPECT_EQ(seen.arenas, std::set<unsigned>{*background});
}

}  // namespace
}  // namespace gridbridge::platform
