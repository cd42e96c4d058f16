#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gridbridge::platform {

// The one source of "now" for domain code, so tests can move time.
// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance for production wiring.
  static const SystemClock& Instance();
};

// For rehearsals and end-to-end tests only (never in production): the
// time written in a file (RFC 3339, e.g. "2022-04-11T15:30:00+08:00"),
// running on at real speed from the moment the file was last written
// (its mtime). Writing a new time moves the clock, forward or back; the
// file is looked at again at most every 20 ms. A file that stops parsing
// keeps the last good time running (and is logged).
class FileClock final : public Clock {
 public:
  // INVALID_ARGUMENT if the file cannot be read or does not parse.
  static absl::StatusOr<std::unique_ptr<FileClock>> Open(const std::string& path);
  absl::Time Now() const override;

 private:
  explicit FileClock(std::string path) : path_(std::move(path)) {}
  // Reads the file if it changed; the offset from real time.
  absl::Status Refresh() const;

  const std::string path_;
  mutable std::mutex mu_;
  mutable absl::Time checked_ = absl::InfinitePast();
  mutable absl::Time mtime_ = absl::InfinitePast();
  mutable absl::Duration offset_;  // written time - mtime
};

// A clock that moves only when told. Starts at the given time.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Advance(absl::Duration d) { nanos_ += absl::ToInt64Nanoseconds(d); }
  void Set(absl::Time t) { nanos_ = absl::ToUnixNanos(t); }

 private:
  std::atomic<int64_t> nanos_;
};

}  // namespace gridbridge::platform
