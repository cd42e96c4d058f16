#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gridbridge::testing {

// A child process for tests. Its stdout is a pipe read line by line; stderr
// is inherited so failures show in ctest output. The destructor kills
// (SIGKILL) and reaps it, so no test leaves a process behind.
class Subprocess {
 public:
  explicit Subprocess(std::vector<std::string> argv, std::vector<std::string> extra_env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // The next stdout line, or nullopt on EOF or timeout.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  void Signal(int sig);
  // Waits for exit; returns the exit status (128+signal if killed), or
  // nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeTcpPort();

// Runs a shell command; returns its exit status and stdout.
struct CommandResult {
  int status = -1;
  std::string out;
};
CommandResult RunCommand(const std::string& command);

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace gridbridge::testing
