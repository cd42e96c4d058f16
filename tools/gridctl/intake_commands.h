#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "json_call.h"

namespace gridbridge::gridctl {

// `gridctl intake <rpc>`: the RPC names in kebab case, e.g. register-resident.
const std::vector<std::string>& IntakeRpcNames();

// Calls intake's `rpc` with the request given as JSON. exit_code 2 and an
// error for an unknown rpc name.
JsonCallResult CallIntake(const std::string& target, const std::string& rpc,
                          const std::string& token, const std::string& request_json,
                          std::chrono::milliseconds timeout);

}  // namespace gridbridge::gridctl
