#include "server_process.h"

#include <algorithm>
#include <fstream>

#include "dev_keys.h"
#include "nlohmann/json.hpp"

namespace gridbridge::testing {

TestKeys::TestKeys(const std::string& dir) : public_key_file_(dir + "/jwt-public.pem") {
  auto keys = platform::GenerateRsaKeyPair();
  if (!keys.ok()) throw std::runtime_error("RSA key generation failed");
  private_pem_ = keys->private_pem;
  std::ofstream(public_key_file_) << keys->public_pem;
}

std::string TestKeys::Token(common::v1::Role role, const std::string& scope,
                            const std::string& subject) const {
  platform::TokenIssuer issuer(private_pem_, "gridbridge", "gridbridge");
  return *issuer.Issue({subject, role, scope}, absl::Now(), absl::Hours(1));
}

ServerProcess::ServerProcess(std::string binary, const RedisServer& redis, const Broker& broker,
                             const TestKeys& keys, std::vector<std::string> extra_args) {
  argv_ = {std::move(binary),      "--redis_addr",      redis.addr(),
           "--kafka_bootstrap",    broker.bootstrap(),  "--jwt_public_key_file",
           keys.public_key_file(), "--admin_tree_file", SourcePath("data/admin-tree.json")};
  // The mock broker holds empty fetches for the whole wait: short, unless a
  // test asks for another.
  if (std::find(extra_args.begin(), extra_args.end(), "--kafka_fetch_wait_ms") ==
      extra_args.end()) {
    argv_.insert(argv_.end(), {"--kafka_fetch_wait_ms", "10"});
  }
  argv_.insert(argv_.end(), extra_args.begin(), extra_args.end());
}

bool ServerProcess::Start() {
  process_ = std::make_unique<Subprocess>(argv_);
  auto ready = process_->ReadLine(std::chrono::seconds(20));
  if (!ready) return false;
  auto j = nlohmann::json::parse(*ready);
  target_ = "127.0.0.1:" + std::to_string(j["grpc_port"].get<int>());
  admin_port_ = j["admin_port"].get<int>();
  return true;
}

}  // namespace gridbridge::testing
