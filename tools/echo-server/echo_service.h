#pragma once

#include "auth.h"
#include "gridbridge/testing/v1/echo.grpc.pb.h"
#include "redis_client.h"

namespace gridbridge::echo {

// gridbridge.testing.v1.EchoService. Thread-safe; holds references to the
// verifier, authorizer and Redis client, which must outlive it.
class EchoServiceImpl final : public testing::v1::EchoService::Service {
 public:
  EchoServiceImpl(const platform::TokenVerifier& verifier, const platform::Authorizer& authorizer,
                  platform::RedisClient& redis)
      : verifier_(verifier), authorizer_(authorizer), redis_(redis) {}

  grpc::Status Echo(grpc::ServerContext* context, const testing::v1::EchoRequest* request,
                    testing::v1::EchoResponse* response) override;
  grpc::Status WhoAmI(grpc::ServerContext* context, const testing::v1::WhoAmIRequest* request,
                      testing::v1::WhoAmIResponse* response) override;
  grpc::Status EchoStream(grpc::ServerContext* context,
                          grpc::ServerReader<testing::v1::EchoRequest>* reader,
                          testing::v1::EchoStreamSummary* summary) override;
  grpc::Status EchoCommitted(grpc::ServerContext* context, const testing::v1::EchoRequest* request,
                             testing::v1::EchoResponse* response) override;
  grpc::Status EchoBatchesCommitted(grpc::ServerContext* context,
                                    grpc::ServerReader<testing::v1::EchoBatch>* reader,
                                    testing::v1::EchoStreamSummary* summary) override;

 private:
  const platform::TokenVerifier& verifier_;
  const platform::Authorizer& authorizer_;
  platform::RedisClient& redis_;
};

}  // namespace gridbridge::echo
