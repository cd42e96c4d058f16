#include "echo_service.h"

#include "grpc_auth.h"
#include "grpc_server.h"

namespace gridbridge::echo {

constexpr size_t kMaxPayload = 64 * 1024;

grpc::Status EchoServiceImpl::Echo(grpc::ServerContext*, const testing::v1::EchoRequest* request,
                                   testing::v1::EchoResponse* response) {
  if (request->payload().size() > kMaxPayload) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "payload: at most 65536 bytes");
  }
  response->set_payload(request->payload());
  return grpc::Status::OK;
}

grpc::Status EchoServiceImpl::WhoAmI(grpc::ServerContext* context,
                                     const testing::v1::WhoAmIRequest* request,
                                     testing::v1::WhoAmIResponse* response) {
  return platform::GuardedCall(*context, verifier_, [&](const platform::Caller& caller) {
    if (!request->grid_id().empty()) {
      absl::Status access = authorizer_.CheckAccess(caller, request->grid_id());
      if (!access.ok()) return platform::ToGrpcStatus(access);
    }
    *response->mutable_actor() = caller.ToActor();
    return grpc::Status::OK;
  });
}

grpc::Status EchoServiceImpl::EchoStream(grpc::ServerContext*,
                                         grpc::ServerReader<testing::v1::EchoRequest>* reader,
                                         testing::v1::EchoStreamSummary* summary) {
  testing::v1::EchoRequest request;
  int64_t count = 0;
  while (reader->Read(&request)) ++count;
  summary->set_count(count);
  return grpc::Status::OK;
}

}  // namespace gridbridge::echo
