#pragma once

#include "grpcpp/grpcpp.h"

namespace gridbridge::platform {

// gRPC C++ answers a request it cannot parse (a proto3 string field holding
// invalid UTF-8, a truncated message) with INTERNAL and no message, before
// any handler runs. Partners need INVALID_ARGUMENT naming the field, so:
//
// InstallProtobufLogCapture() routes protobuf's log through spdlog and
// remembers, per thread, the field named by the last "invalid UTF-8" parse
// error. Call once at start-up (GrpcServer::Start does).
void InstallProtobufLogCapture();

// True for the status gRPC produces when request parsing failed.
bool IsRequestParseFailure(const grpc::Status& status);

// INVALID_ARGUMENT naming the offending field when this thread saw one
// (and forgets it), else a generic "malformed request" message.
grpc::Status RequestParseFailureStatus();

}  // namespace gridbridge::platform
