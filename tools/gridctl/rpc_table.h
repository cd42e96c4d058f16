#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "json_call.h"
#include "nlohmann/json.hpp"

namespace gridbridge::gridctl {

// A service's unary RPCs by their kebab-case names (register-resident,
// screen-arrival, ...), each callable with a JSON request: what
// `gridctl <service> <rpc> --json ...` runs.
template <typename Service>
class RpcTable {
 public:
  using Stub = typename Service::Stub;
  using Call = std::function<JsonCallResult(Stub&, const std::string& token,
                                            const std::string& json, std::chrono::milliseconds)>;

  template <typename Req, typename Resp>
  static Call Bind(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*)) {
    return [method](Stub& stub, const std::string& token, const std::string& json,
                    std::chrono::milliseconds timeout) {
      return CallWithJson(stub, method, token, json, timeout);
    };
  }

  RpcTable(std::string service, std::map<std::string, Call> calls)
      : service_(std::move(service)), calls_(std::move(calls)) {}

  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [name, call] : calls_) out.push_back(name);
    return out;
  }

  // exit_code 2 and an error for an unknown rpc name.
  JsonCallResult Invoke(const std::string& target, const std::string& rpc, const std::string& token,
                        const std::string& request_json, std::chrono::milliseconds timeout) const {
    auto it = calls_.find(rpc);
    if (it == calls_.end()) {
      return {nlohmann::json{{"error",
                              {{"code", "INVALID_ARGUMENT"},
                               {"message", "unknown " + service_ + " rpc " + rpc}}}}
                  .dump(),
              2};
    }
    auto stub = Service::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    return it->second(*stub, token, request_json, timeout);
  }

 private:
  std::string service_;
  std::map<std::string, Call> calls_;
};

}  // namespace gridbridge::gridctl
