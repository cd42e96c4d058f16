#include "clock.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "spdlog/spdlog.h"

namespace gridbridge::platform {

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

absl::StatusOr<std::unique_ptr<FileClock>> FileClock::Open(const std::string& path) {
  std::unique_ptr<FileClock> clock(new FileClock(path));
  std::lock_guard lock(clock->mu_);
  if (absl::Status s = clock->Refresh(); !s.ok()) return s;
  return clock;
}

absl::Status FileClock::Refresh() const {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0) {
    return absl::InvalidArgumentError("clock file " + path_ + " cannot be read");
  }
  const absl::Time mtime = absl::TimeFromTimespec(st.st_mtim);
  if (mtime == mtime_) return absl::OkStatus();
  std::stringstream text;
  text << std::ifstream(path_).rdbuf();
  std::string written(absl::StripAsciiWhitespace(text.str()));
  absl::Time at;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, written, &at, &err)) {
    return absl::InvalidArgumentError("clock file " + path_ + ": '" + written +
                                      "' is not an RFC 3339 time: " + err);
  }
  mtime_ = mtime;
  offset_ = at - mtime;
  spdlog::warn("clock file {}: the service's time is now {}", path_, written);
  return absl::OkStatus();
}

absl::Time FileClock::Now() const {
  const absl::Time real = absl::Now();
  std::lock_guard lock(mu_);
  if (real - checked_ >= absl::Milliseconds(20)) {
    checked_ = real;
    if (absl::Status s = Refresh(); !s.ok()) spdlog::error("{}", s.ToString());
  }
  return real + offset_;
}

}  // namespace gridbridge::platform
