#pragma once

#include "absl/status/statusor.h"
#include "auth.h"
#include "grpcpp/grpcpp.h"

namespace gridbridge::platform {

// The verified caller of this call, from its "authorization: Bearer <jwt>"
// metadata. UNAUTHENTICATED with the reason when missing or bad.
//
// Why not a server interceptor: gRPC C++ 1.51 server interceptors cannot end
// a call with a status of their choosing, so each handler begins with this
// (through GuardedCall below), which is as hard to forget as a table entry.
absl::StatusOr<Caller> AuthenticateCall(const grpc::ServerContext& context,
                                        const TokenVerifier& verifier);

// Runs `body(caller)` for an authenticated call, turning a failed
// authentication into UNAUTHENTICATED and an escaped exception into
// INTERNAL, so nothing escapes a handler.
template <typename Body>
grpc::Status GuardedCall(const grpc::ServerContext& context, const TokenVerifier& verifier,
                         Body&& body) {
  auto caller = AuthenticateCall(context, verifier);
  if (!caller.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(caller.status().message()));
  }
  try {
    return body(*caller);
  } catch (const std::exception& e) {
    return grpc::Status(grpc::StatusCode::INTERNAL, std::string("internal error: ") + e.what());
  }
}

}  // namespace gridbridge::platform
