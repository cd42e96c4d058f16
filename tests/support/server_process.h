#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth.h"
#include "stack.h"
#include "subprocess.h"

namespace gridbridge::testing {

// Signing keys for a test: the public key in a file servers read, the
// private key to mint tokens (issuer and audience "gridbridge").
class TestKeys {
 public:
  explicit TestKeys(const std::string& dir);
  const std::string& public_key_file() const { return public_key_file_; }
  std::string Token(common::v1::Role role, const std::string& scope,
                    const std::string& subject = "tester") const;

 private:
  std::string private_pem_;
  std::string public_key_file_;
};

// A gridbridge server program started with the platform flags pointing at
// `redis` and `broker` (plus `extra_args`); Start() waits for its ready line.
// Killed (SIGKILL) on destruction.
class ServerProcess {
 public:
  ServerProcess(std::string binary, const RedisServer& redis, const Broker& broker,
                const TestKeys& keys, std::vector<std::string> extra_args = {});
  // Starts (or restarts) the program. Returns false if it printed no ready line.
  bool Start();
  Subprocess& process() { return *process_; }
  const std::string& target() const { return target_; }  // 127.0.0.1:<grpc port>
  int admin_port() const { return admin_port_; }

 private:
  std::vector<std::string> argv_;
  std::unique_ptr<Subprocess> process_;
  std::string target_;
  int admin_port_ = 0;
};

}  // namespace gridbridge::testing
