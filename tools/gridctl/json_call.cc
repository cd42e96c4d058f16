#include "json_call.h"

#include "grpc_server.h"

namespace gridbridge::gridctl {

std::string StatusCodeName(grpc::StatusCode code) { return platform::GrpcCodeName(code); }

}  // namespace gridbridge::gridctl
