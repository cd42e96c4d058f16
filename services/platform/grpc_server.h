#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "config.h"
#include "grpcpp/grpcpp.h"

namespace gridbridge::platform {

// "INVALID_ARGUMENT" etc.: gRPC and absl share their status codes.
std::string GrpcCodeName(grpc::StatusCode code);

// Maps an absl::Status onto the gRPC status with the same code and message.
// The one place where our error type becomes a wire status.
grpc::Status ToGrpcStatus(const absl::Status& status);

// A gRPC server with what every gridbridge server must have:
// grpc.health.v1 (overall status "" plus one per registered service name),
// server reflection, keepalive, message-size limits, per-RPC metrics
// (gridbridge_grpc_server_handled_total{method,code} and
// gridbridge_grpc_server_handling_seconds{method}), and a graceful drain.
//
// Usage: construct, AddService(...) for each service, Start(), then later
// Shutdown(). Services must outlive the server.
class GrpcServer {
 public:
  explicit GrpcServer(const ServerConfig& config);
  ~GrpcServer();

  void AddService(grpc::Service* service);
  // Binds and starts. UNAVAILABLE if the address cannot be bound.
  absl::Status Start();
  // The bound port (useful with port 0).
  int port() const { return port_; }
  // Sets the health status of every registered service and of "".
  void SetServing(bool serving);
  // Stops accepting calls, lets in-flight calls finish for up to `drain`,
  // then cancels the rest.
  void Shutdown(absl::Duration drain);

 private:
  const ServerConfig& config_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace gridbridge::platform
