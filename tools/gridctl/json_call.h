#pragma once

#include <string>

#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"

namespace gridbridge::gridctl {

// The outcome of one unary call made from JSON: the response as JSON, or an
// error object {"error":{"code":..,"message":..}}; exit code 0/1/2 (2: the
// request JSON does not fit the request message).
struct JsonCallResult {
  std::string json;
  int exit_code = 0;
};

std::string StatusCodeName(grpc::StatusCode code);

// Parses `request_json` into Req (protobuf JSON mapping: lowerCamelCase or
// original field names, enums by name), calls `method` on `stub` with the
// bearer token, and renders the response.
template <typename Stub, typename Req, typename Resp>
JsonCallResult CallWithJson(Stub& stub,
                            grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                            const std::string& token, const std::string& request_json,
                            std::chrono::milliseconds timeout) {
  Req request;
  google::protobuf::util::JsonParseOptions parse;
  auto parsed = google::protobuf::util::JsonStringToMessage(request_json, &request, parse);
  if (!parsed.ok()) {
    return {nlohmann::json{
                {"error",
                 {{"code", "INVALID_ARGUMENT"}, {"message", "request JSON: " + parsed.ToString()}}}}
                .dump(),
            2};
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  Resp response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) {
    return {nlohmann::json{{"error",
                            {{"code", StatusCodeName(status.error_code())},
                             {"message", status.error_message()}}}}
                .dump(),
            1};
  }
  std::string out;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(response, &out, print);
  return {out, 0};
}

}  // namespace gridbridge::gridctl
