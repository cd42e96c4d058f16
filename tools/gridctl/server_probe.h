#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace gridbridge::gridctl {

// grpc.health.v1.Health/Check: "SERVING", "NOT_SERVING", ... for `service`
// ("" for the whole server). UNAVAILABLE etc. when the call fails.
absl::StatusOr<std::string> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& service,
                                        std::chrono::milliseconds timeout);

// Names of the services the server lists through reflection (v1alpha, the
// version gRPC 1.51 serves).
absl::StatusOr<std::vector<std::string>> ListServices(const std::shared_ptr<grpc::Channel>& channel,
                                                      std::chrono::milliseconds timeout);

}  // namespace gridbridge::gridctl
