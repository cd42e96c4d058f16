#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "json_call.h"

namespace gridbridge::gridctl {

// `gridctl screening <rpc>`: the RPC names in kebab case, e.g. screen-arrival.
const std::vector<std::string>& ScreeningRpcNames();

// Calls screening's `rpc` with the request given as JSON. exit_code 2 and an
// error for an unknown rpc name.
JsonCallResult CallScreening(const std::string& target, const std::string& rpc,
                             const std::string& token, const std::string& request_json,
                             std::chrono::milliseconds timeout);

}  // namespace gridbridge::gridctl
