#include "request_parse_errors.h"

#include <mutex>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "spdlog/spdlog.h"

namespace gridbridge::platform {
namespace {

thread_local std::string last_invalid_utf8_field;

void OnProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                   const std::string& message) {
  constexpr std::string_view kPrefix = "String field '";
  if (message.rfind(kPrefix, 0) == 0 && message.find("when parsing") != std::string::npos) {
    auto end = message.find('\'', kPrefix.size());
    if (end != std::string::npos) {
      last_invalid_utf8_field = message.substr(kPrefix.size(), end - kPrefix.size());
    }
    return;  // expected with bad input: the status tells the caller
  }
  if (level >= google::protobuf::LOGLEVEL_ERROR) {
    spdlog::error("protobuf {}:{}: {}", filename, line, message);
  } else {
    spdlog::warn("protobuf {}:{}: {}", filename, line, message);
  }
}

}  // namespace

void InstallProtobufLogCapture() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&OnProtobufLog); });
}

bool IsRequestParseFailure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::INTERNAL && status.error_message().empty();
}

grpc::Status RequestParseFailureStatus() {
  std::string field = std::move(last_invalid_utf8_field);
  last_invalid_utf8_field.clear();
  if (field.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "request is not a valid protobuf message (truncated, wrong type, or a "
                        "string field with invalid UTF-8)");
  }
  auto dot = field.rfind('.');
  std::string short_name = dot == std::string::npos ? field : field.substr(dot + 1);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      short_name + ": not valid UTF-8 (" + field + ")");
}

}  // namespace gridbridge::platform
