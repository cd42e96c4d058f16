// gridbridge-echo: the platform's reference server. Its main is the shape
// every service's main takes.
#include <cstdio>

#include "echo_service.h"
#include "grpc_server.h"
#include "health_monitor.h"
#include "logging.h"
#include "metrics.h"
#include "server_deps.h"
#include "signals.h"
#include "spdlog/spdlog.h"

using namespace gridbridge;

int main(int argc, char** argv) {
  platform::BlockShutdownSignals();
  platform::ServerConfig config;
  config.service_name = "echo";
  CLI::App app{"gridbridge-echo: the platform's reference gRPC server"};
  platform::AddServerFlags(app, config);
  platform::ParseServerConfigOrExit(app, config, argc, argv);
  platform::InitJsonLogging(config.service_name, config.log_level);

  auto deps = platform::ServerDeps::Create(config);
  if (!deps.ok()) {
    spdlog::critical("start-up failed: {}", deps.status().ToString());
    return 1;
  }
  echo::EchoServiceImpl service(*(*deps)->verifier, *(*deps)->authorizer);
  platform::GrpcServer server(config);
  server.AddService(&service);
  if (absl::Status s = server.Start(); !s.ok()) {
    spdlog::critical("start-up failed: {}", s.ToString());
    return 1;
  }
  platform::MetricsServer metrics(config.admin_listen);
  platform::HealthMonitor health((*deps)->HealthChecks(), [&](bool up) { server.SetServing(up); });
  std::printf("{\"service\":\"echo\",\"grpc_port\":%d,\"admin_port\":%d}\n", server.port(),
              metrics.port());
  std::fflush(stdout);

  int sig = platform::WaitForShutdownSignal();
  spdlog::info("signal {}: draining for up to {} s", sig, config.drain_seconds);
  server.Shutdown(absl::Seconds(config.drain_seconds));
  return 0;
}
