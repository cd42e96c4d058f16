#include "committed_echo.h"

#include <memory>
#include <vector>

#include "gridbridge/testing/v1/echo.grpc.pb.h"
#include "stack_probe.h"
#include "unary_workload.h"

namespace gridbridge::bench {

SaturationAndHalf RunCommittedEcho(const BenchEnv& env, const std::string& echo_target,
                                   nlohmann::json& out) {
  std::vector<std::unique_ptr<testing::v1::EchoService::Stub>> echo;
  for (auto& c : Channels(echo_target, 4)) echo.push_back(testing::v1::EchoService::NewStub(c));
  testing::v1::EchoRequest ping;
  ping.set_payload(std::string(200, 'x'));  // about the size of an arrival
  // The same request every call: not copied per call.
  auto echo_ping = [&](long long) -> const testing::v1::EchoRequest& { return ping; };
  using EchoStub = testing::v1::EchoService::Stub;
  FailureLog failures("EchoCommitted");
  MachinePhase saturated_machine;
  auto phases = RunSaturatedThenHalf(
      "echo committed",
      UnaryWorkload(echo, &EchoStub::PrepareAsyncEchoCommitted, echo_ping, "", failures),
      env.threads, env.duration, [&] {
        // Nothing to work off: the echo's stream entries go nowhere.
        saturated_machine.Stop();
        return 0.0;
      });
  out["committed_echo_qps"] = phases.saturated.calls_per_s;
  out["committed_echo_p99_half_load_ms"] = phases.half.p99_ms;
  saturated_machine.PerItem("committed_echo", phases.saturated.calls, out);
  phases.half_machine.PerItem("committed_echo_half_load", phases.half.calls, out);
  AddRatio(out, "committed_echo_half_load_cpu_ratio", "committed_echo_half_load_machine_cpu_us",
           "committed_echo_machine_cpu_us");
  return phases;
}

}  // namespace gridbridge::bench
