#pragma once
// The floor of any durable unary call on this stack, as a baseline measured
// in the same run as the service it is compared with.
#include <string>

#include "bench_env.h"
#include "load.h"
#include "nlohmann/json.hpp"

namespace gridbridge::bench {

// The echo server's EchoCommitted (answered once Redis holds a counter and
// a stream entry for the call: one script run) at saturation and at half of
// it, the machine read over each phase. Figures into `out`:
// committed_echo_{qps,p99_half_load_ms,machine_cpu_us,cores_busy,...},
// committed_echo_half_load_{machine_cpu_us,cores_busy,...} and
// committed_echo_half_load_cpu_ratio: a call's machine CPU at half load over
// its saturated cost. A service's own ratio near this one is the platform's
// (gRPC, a Redis round trip, this machine), not the service's code.
SaturationAndHalf RunCommittedEcho(const BenchEnv& env, const std::string& echo_target,
                                   nlohmann::json& out);

}  // namespace gridbridge::bench
