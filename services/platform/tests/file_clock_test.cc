// FileClock: the rehearsal clock that follows a file.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "clock.h"
#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

class FileClockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/gridbridge-clock-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    path_ = std::string(dir) + "/now";
  }
  void TearDown() override {
    std::remove(path_.c_str());
    rmdir(path_.substr(0, path_.rfind('/')).c_str());
  }
  void Write(const std::string& text) {
    std::ofstream(path_, std::ios::trunc) << text << "\n";
    // Past the clock's 20 ms look-again interval.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  static absl::Time At(const std::string& rfc3339) {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
    return t;
  }
  std::string path_;
};

TEST_F(FileClockTest, FollowsTheFileAndRunsOnAtRealSpeed) {
  Write("2022-04-11T15:30:00+08:00");
  auto clock = FileClock::Open(path_);
  ASSERT_TRUE(clock.ok()) << clock.status();
  const absl::Time first = (*clock)->Now();
  EXPECT_GE(first, At("2022-04-11T15:30:00+08:00"));
  EXPECT_LT(first, At("2022-04-11T15:30:02+08:00"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_GE((*clock)->Now() - first, absl::Milliseconds(100));

  // Moved to the morning of the 26th.
  Write("2022-04-26T00:00:05+08:00");
  const absl::Time moved = (*clock)->Now();
  EXPECT_GE(moved, At("2022-04-26T00:00:05+08:00"));
  EXPECT_LT(moved, At("2022-04-26T00:00:07+08:00"));

  // A file that stops parsing: the last good time runs on.
  Write("next tuesday");
  const absl::Time kept = (*clock)->Now();
  EXPECT_GE(kept, moved);
  EXPECT_LT(kept, At("2022-04-26T00:00:09+08:00"));
}

TEST_F(FileClockTest, RefusesAFileThatIsMissingOrNotATime) {
  EXPECT_EQ(FileClock::Open(path_).status().code(), absl::StatusCode::kInvalidArgument);
  Write("2022-04-11 15:30");
  auto clock = FileClock::Open(path_);
  ASSERT_EQ(clock.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(clock.status().message().find("is not an RFC 3339 time"), std::string::npos)
      << clock.status();
}

}  // namespace
}  // namespace gridbridge::platform
