#include "stack.h"

#include <csignal>
#include <stdexcept>
#include <thread>

#include "nlohmann/json.hpp"

namespace gridbridge::testing {

std::string SourcePath(const std::string& relative) {
  return std::string(GRIDBRIDGE_SOURCE_DIR) + "/" + relative;
}

std::string BinaryPath(const std::string& name) {
  return std::string(GRIDBRIDGE_BINARY_DIR) + "/" + name;
}

RedisServer::RedisServer(bool persistent) : persistent_(persistent), port_(FreeTcpPort()) {
  Start();
}

void RedisServer::Start() {
  // The deployment's settings (deploy/redis.conf), then the test's own.
  std::vector<std::string> argv = {"redis-server", SourcePath("deploy/redis.conf"),
                                   "--port",       std::to_string(port_),
                                   "--bind",       "127.0.0.1",
                                   "--dir",        dir_.path(),
                                   "--daemonize",  "no",
                                   "--loglevel",   "warning"};
  if (persistent_) {
    for (const char* a : {"--appendonly", "yes", "--appendfsync", "always"}) argv.push_back(a);
  } else {
    for (const char* a : {"--appendonly", "no"}) argv.push_back(a);
  }
  process_ = std::make_unique<Subprocess>(argv);
  for (int i = 0; i < 500; ++i) {
    auto r = RunCommand("redis-cli -p " + std::to_string(port_) + " PING 2>/dev/null");
    if (r.out.find("PONG") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
}

void RedisServer::Stop() { process_.reset(); }

void RedisServer::Restart() {
  Stop();
  Start();
}

Broker::Broker(std::vector<std::string> extra_topics, int brokers) {
  std::vector<std::string> argv = {BinaryPath("tools/broker/gridbridge-broker"), "--catalog",
                                   SourcePath("catalog/topics.json"), "--brokers",
                                   std::to_string(brokers)};
  for (const auto& t : extra_topics) {
    argv.push_back("--topic");
    argv.push_back(t);
  }
  process_ = std::make_unique<Subprocess>(argv);
  auto line = process_->ReadLine(std::chrono::seconds(20));
  if (!line) throw std::runtime_error("gridbridge-broker printed no bootstrap");
  bootstrap_ = nlohmann::json::parse(*line).at("bootstrap").get<std::string>();
}

void Broker::TakeDown() {
  process_->Signal(SIGUSR1);
  process_->ReadLine(std::chrono::seconds(5));
}

void Broker::BringUp() {
  process_->Signal(SIGUSR2);
  process_->ReadLine(std::chrono::seconds(5));
}

}  // namespace gridbridge::testing
