#include "echo_service.h"

#include "grpc_auth.h"
#include "grpc_server.h"

namespace gridbridge::echo {

namespace {

constexpr size_t kMaxPayload = 64 * 1024;

grpc::Status CheckPayload(const testing::v1::EchoRequest& request) {
  if (request.payload().size() > kMaxPayload) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "payload: at most 65536 bytes");
  }
  return grpc::Status::OK;
}

// A counter and an outbox-like stream entry, atomically: what every
// mutating RPC of the services commits at the least. Both keys share a hash
// slot so the script also runs on a Redis Cluster.
const platform::RedisScript& CommitScript() {
  static const platform::RedisScript script(R"lua(
redis.call('HINCRBY', KEYS[1], 'calls', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 10000, '*', 'p', ARGV[1])
return 1
)lua");
  return script;
}

// A batch's payloads as fields of one hash and all of them in one stream
// entry. ARGV: the first field number, then the payloads. Field numbers wrap
// at 100,000 so the hash stays bounded over a long benchmark.
const platform::RedisScript& BatchCommitScript() {
  static const platform::RedisScript script(R"lua(
local first, fields = tonumber(ARGV[1]), {}
for i = 2, #ARGV do
  fields[#fields + 1] = (first + i - 2) % 100000
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100, '*', 'b', table.concat(ARGV, '', 2))
return 1
)lua");
  return script;
}

constexpr int kMaxBatch = 1000;

// A commit script's reply as the call's status.
grpc::Status CommitStatus(const absl::StatusOr<platform::RedisReply>& reply) {
  if (!reply.ok()) return platform::ToGrpcStatus(reply.status());
  if (reply->is_error()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "commit script: " + reply->str);
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status EchoServiceImpl::Echo(grpc::ServerContext*, const testing::v1::EchoRequest* request,
                                   testing::v1::EchoResponse* response) {
  if (grpc::Status s = CheckPayload(*request); !s.ok()) return s;
  response->set_payload(request->payload());
  return grpc::Status::OK;
}

grpc::Status EchoServiceImpl::EchoCommitted(grpc::ServerContext*,
                                            const testing::v1::EchoRequest* request,
                                            testing::v1::EchoResponse* response) {
  if (grpc::Status s = CheckPayload(*request); !s.ok()) return s;
  grpc::Status committed = CommitStatus(redis_.Eval(
      CommitScript(), {"echo:{committed}:count", "echo:{committed}:outbox"}, {request->payload()}));
  if (!committed.ok()) return committed;
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

grpc::Status EchoServiceImpl::EchoBatchesCommitted(
    grpc::ServerContext*, grpc::ServerReader<testing::v1::EchoBatch>* reader,
    testing::v1::EchoStreamSummary* summary) {
  testing::v1::EchoBatch batch;
  int64_t committed = 0;
  while (reader->Read(&batch)) {
    if (batch.payloads_size() == 0) continue;
    if (batch.payloads_size() > kMaxBatch) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "payloads: at most 1000 per batch");
    }
    platform::RedisArgs args;
    args.reserve(batch.payloads_size() + 1);
    args.push_back(std::to_string(committed));
    for (auto& payload : *batch.mutable_payloads()) {
      if (payload.size() > kMaxPayload) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "payloads: at most 65536 bytes each");
      }
      args.push_back(std::move(payload));
    }
    grpc::Status status = CommitStatus(redis_.Eval(
        BatchCommitScript(), {"echo:{committed}:rows", "echo:{committed}:batches"}, args));
    if (!status.ok()) return status;
    committed += batch.payloads_size();
  }
  summary->set_count(committed);
  return grpc::Status::OK;
}

}  // namespace gridbridge::echo
