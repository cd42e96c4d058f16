#pragma once

#include <memory>
#include <string>

#include "grpcpp/channel.h"

namespace gridbridge::platform {

// A channel from one gridbridge service to another. Calls are spread over
// every address the target resolves to (round robin), so a target naming a
// Kubernetes headless Service ("dns:///intake-pods.gridbridge.svc:8080")
// balances calls across its ready pods; through a ClusterIP, one HTTP/2
// connection would carry every call to a single pod. The servers end
// connections after a few minutes (GrpcServer), so clients resolve again
// and reach pods added since. Keepalive notices dead peers.
std::shared_ptr<grpc::Channel> ServiceChannel(const std::string& target);

}  // namespace gridbridge::platform
