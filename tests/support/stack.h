#pragma once

#include <memory>
#include <string>
#include <vector>

#include "subprocess.h"

namespace gridbridge::testing {

// A real redis-server on a free loopback port, with its data in a temp dir.
// AOF on (appendfsync always), as in production, unless `persistent` is false.
class RedisServer {
 public:
  explicit RedisServer(bool persistent = false);
  int port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  // Kill -9 and start again on the same port and data (AOF replay).
  void Restart();
  void Stop();
  void Start();

 private:
  TempDir dir_;
  bool persistent_;
  int port_;
  std::unique_ptr<Subprocess> process_;
};

// The gridbridge-broker program with the repository's topic catalog plus
// `extra_topics` ("name:partitions").
class Broker {
 public:
  explicit Broker(std::vector<std::string> extra_topics = {}, int brokers = 1);
  const std::string& bootstrap() const { return bootstrap_; }
  // SIGUSR1 / SIGUSR2: every broker down / up.
  void TakeDown();
  void BringUp();

 private:
  std::unique_ptr<Subprocess> process_;
  std::string bootstrap_;
};

// Paths of repository files and built programs (set by CMake).
std::string SourcePath(const std::string& relative);
std::string BinaryPath(const std::string& name);

}  // namespace gridbridge::testing
