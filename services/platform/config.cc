#include "config.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_split.h"

namespace gridbridge::platform {
namespace {

void AddOption(CLI::App& app, const char* name, std::string& target, const char* help,
               bool required) {
  std::string env = "GRIDBRIDGE_" + std::string(name);
  for (auto& c : env) c = static_cast<char>(std::toupper(c));
  auto* opt = app.add_option(std::string("--") + name, target, help)->envname(env);
  if (required)
    opt->required();
  else
    opt->capture_default_str();
}

bool IsReadableFile(const std::string& path) {
  std::ifstream in(path);
  return in.good();
}

}  // namespace

bool IsHostPort(const std::string& value) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) {
    return false;
  }
  int port = -1;
  const char* begin = value.data() + colon + 1;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(begin, end, port);
  return ec == std::errc() && ptr == end && port >= 0 && port <= 65535;
}

void AddServerFlags(CLI::App& app, ServerConfig& c) {
  AddOption(app, "grpc_listen", c.grpc_listen, "gRPC listen address host:port", false);
  AddOption(app, "admin_listen", c.admin_listen, "admin HTTP (/metrics) host:port", false);
  AddOption(app, "redis_addr", c.redis_addr, "Redis host:port", true);
  AddOption(app, "kafka_bootstrap", c.kafka_bootstrap,
            "Kafka bootstrap servers host:port[,host:port]", true);
  AddOption(app, "jwt_public_key_file", c.jwt_public_key_file,
            "PEM public key that verifies bearer tokens (RS256)", true);
  AddOption(app, "jwt_issuer", c.jwt_issuer, "required token issuer", false);
  AddOption(app, "jwt_audience", c.jwt_audience, "required token audience", false);
  AddOption(app, "admin_tree_file", c.admin_tree_file, "administrative tree reference data (JSON)",
            true);
  AddOption(app, "log_level", c.log_level, "trace|debug|info|warn|error", false);
  app.add_option("--drain_seconds", c.drain_seconds, "graceful drain on SIGTERM")
      ->envname("GRIDBRIDGE_DRAIN_SECONDS")
      ->capture_default_str();
  app.add_option("--max_message_bytes", c.max_message_bytes, "gRPC message size limit")
      ->envname("GRIDBRIDGE_MAX_MESSAGE_BYTES")
      ->capture_default_str();
  app.add_option("--kafka_fetch_wait_ms", c.kafka_fetch_wait_ms,
                 "longest wait of a consumer's fetch at the broker (fetch.wait.max.ms)")
      ->envname("GRIDBRIDGE_KAFKA_FETCH_WAIT_MS")
      ->capture_default_str();
  app.add_option("--background_nice", c.background_nice,
                 "nice value of threads doing work no caller waits on (relays, consumers, "
                 "timers), so that requests go first; 0 = same as requests")
      ->envname("GRIDBRIDGE_BACKGROUND_NICE")
      ->capture_default_str();
  app.add_option("--clock_file", c.clock_file,
                 "REHEARSALS AND TESTS ONLY: the service's time is read from this file "
                 "(RFC 3339) and runs on from when it was written")
      ->envname("GRIDBRIDGE_CLOCK_FILE");
}

std::string ValidateServerConfig(const ServerConfig& c) {
  if (!IsHostPort(c.grpc_listen))
    return "GRIDBRIDGE_GRPC_LISTEN must be host:port, got '" + c.grpc_listen + "'";
  if (!IsHostPort(c.admin_listen))
    return "GRIDBRIDGE_ADMIN_LISTEN must be host:port, got '" + c.admin_listen + "'";
  if (!IsHostPort(c.redis_addr))
    return "GRIDBRIDGE_REDIS_ADDR must be host:port, got '" + c.redis_addr + "'";
  for (absl::string_view part : absl::StrSplit(c.kafka_bootstrap, ',')) {
    if (!IsHostPort(std::string(part))) {
      return "GRIDBRIDGE_KAFKA_BOOTSTRAP must be host:port[,host:port], got '" + c.kafka_bootstrap +
             "'";
    }
  }
  if (!IsReadableFile(c.jwt_public_key_file))
    return "GRIDBRIDGE_JWT_PUBLIC_KEY_FILE is not a readable file: '" + c.jwt_public_key_file + "'";
  if (!IsReadableFile(c.admin_tree_file))
    return "GRIDBRIDGE_ADMIN_TREE_FILE is not a readable file: '" + c.admin_tree_file + "'";
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= c.log_level == l;
  if (!level_ok)
    return "GRIDBRIDGE_LOG_LEVEL must be one of trace|debug|info|warn|error, got '" + c.log_level +
           "'";
  if (!c.clock_file.empty() && !IsReadableFile(c.clock_file))
    return "GRIDBRIDGE_CLOCK_FILE is not a readable file: '" + c.clock_file + "'";
  if (c.drain_seconds < 0 || c.drain_seconds > 300)
    return "GRIDBRIDGE_DRAIN_SECONDS must be in 0..300";
  if (c.max_message_bytes < 1024 || c.max_message_bytes > 64 * 1024 * 1024)
    return "GRIDBRIDGE_MAX_MESSAGE_BYTES must be in 1024..67108864";
  if (c.kafka_fetch_wait_ms < 1 || c.kafka_fetch_wait_ms > 10000)
    return "GRIDBRIDGE_KAFKA_FETCH_WAIT_MS must be in 1..10000";
  if (c.background_nice < 0 || c.background_nice > 19)
    return "GRIDBRIDGE_BACKGROUND_NICE must be in 0..19";
  return "";
}

void ParseServerConfigOrExit(CLI::App& app, ServerConfig& config, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  std::string problem = ValidateServerConfig(config);
  if (!problem.empty()) {
    std::fprintf(stderr, "%s: configuration error: %s\n", config.service_name.c_str(),
                 problem.c_str());
    std::exit(2);
  }
}

}  // namespace gridbridge::platform
