#pragma once

#include <functional>

#include "config.h"
#include "grpc_server.h"
#include "server_deps.h"

namespace gridbridge::platform {

// The tail of every server's main: starts `server` (services already
// added), /metrics on config.admin_listen and the dependency health monitor
// (health turns SERVING once Redis and Kafka answer), runs `after_start`,
// prints the ready line {"service":..,"grpc_port":..,"admin_port":..} on
// stdout, blocks until SIGTERM or SIGINT (BlockShutdownSignals must have run
// first), drains for config.drain_seconds, runs `after_drain`. Returns the
// process exit code (1 if the server cannot start).
int ServeUntilSignal(const ServerConfig& config, GrpcServer& server, ServerDeps& deps,
                     const std::function<void()>& after_start = {},
                     const std::function<void()>& after_drain = {});

}  // namespace gridbridge::platform
