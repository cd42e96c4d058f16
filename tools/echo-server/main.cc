// gridbridge-echo: the platform's reference server. Its main is the shape
// every service's main takes.
#include "echo_service.h"
#include "logging.h"
#include "serve.h"
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
  echo::EchoServiceImpl service(*(*deps)->verifier, *(*deps)->authorizer, *(*deps)->redis);
  platform::GrpcServer server(config);
  server.AddService(&service);
  return platform::ServeUntilSignal(config, server, **deps);
}
