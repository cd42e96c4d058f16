#include "grpc_auth.h"

namespace gridbridge::platform {

absl::StatusOr<Caller> AuthenticateCall(const grpc::ServerContext& context,
                                        const TokenVerifier& verifier) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return verifier.VerifyBearer("");
  return verifier.VerifyBearer(std::string_view(it->second.data(), it->second.size()));
}

}  // namespace gridbridge::platform
