#include "serve.h"

#include <cstdio>

#include "health_monitor.h"
#include "metrics.h"
#include "signals.h"
#include "spdlog/spdlog.h"

namespace gridbridge::platform {

int ServeUntilSignal(const ServerConfig& config, GrpcServer& server, ServerDeps& deps,
                     const std::function<void()>& after_start,
                     const std::function<void()>& after_drain) {
  if (absl::Status s = server.Start(); !s.ok()) {
    spdlog::critical("start-up failed: {}", s.ToString());
    return 1;
  }
  auto metrics = MetricsServer::Start(config.admin_listen);
  if (!metrics.ok()) {
    spdlog::critical("start-up failed: {}", metrics.status().ToString());
    server.Shutdown(absl::ZeroDuration());
    return 1;
  }
  HealthMonitor health(deps.HealthChecks(), [&](bool up) { server.SetServing(up); });
  if (after_start) after_start();
  std::printf("{\"service\":\"%s\",\"grpc_port\":%d,\"admin_port\":%d}\n",
              config.service_name.c_str(), server.port(), (*metrics)->port());
  std::fflush(stdout);

  int sig = WaitForShutdownSignal();
  spdlog::info("signal {}: draining for up to {} s", sig, config.drain_seconds);
  server.Shutdown(absl::Seconds(config.drain_seconds));
  if (after_drain) after_drain();
  return 0;
}

}  // namespace gridbridge::platform
