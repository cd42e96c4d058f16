#pragma once

#include <string>

#include "CLI/CLI.hpp"

namespace gridbridge::platform {

// Settings every gridbridge server needs. Each is a flag (--redis_addr) and
// an environment variable (GRIDBRIDGE_REDIS_ADDR); a flag wins over the
// environment. Validated once at start-up by ParseServerConfig.
struct ServerConfig {
  std::string service_name;  // set by the service's main, not a flag
  std::string grpc_listen = "127.0.0.1:0";
  std::string admin_listen = "127.0.0.1:0";  // /metrics
  std::string redis_addr;                    // host:port, required
  std::string kafka_bootstrap;               // host:port[,host:port], required
  std::string jwt_public_key_file;           // PEM, required
  std::string jwt_issuer = "gridbridge";
  std::string jwt_audience = "gridbridge";
  std::string admin_tree_file;  // reference data, required
  std::string log_level = "info";
  int drain_seconds = 10;  // graceful drain on SIGTERM
  int max_message_bytes = 4 * 1024 * 1024;
  // How long a consumer's fetch may wait at the broker for records
  // (librdkafka fetch.wait.max.ms). Apache Kafka answers a waiting fetch as
  // soon as a record arrives, so its default of 500 costs no latency there;
  // the local broker (librdkafka's mock cluster) holds every empty fetch
  // for the whole wait, so a stack on it sets a few milliseconds, or records
  // reach consumers in half-second bursts.
  int kafka_fetch_wait_ms = 500;
  // The nice value of threads doing work no caller waits on (outbox
  // relays, consumers, timers, re-screens): 0..19, 0 leaves them at request
  // threads' priority. See background_thread.h.
  int background_nice = 10;
  // Rehearsals and end-to-end tests only: the service's domain clock
  // follows this file (see FileClock); token expiry keeps real time.
  std::string clock_file;
};

// Registers the ServerConfig options on `app`. Pure: call before parsing.
void AddServerFlags(CLI::App& app, ServerConfig& config);

// Checks values CLI11 cannot (host:port shape, readable files, ranges).
// Returns an empty string when valid, else a message naming the variable.
std::string ValidateServerConfig(const ServerConfig& config);

// Parses argv into `config` (plus any options the caller added to `app`),
// validates, and exits the process with status 2 and a message naming the
// bad flag or variable if anything is missing or wrong. Start-up only.
void ParseServerConfigOrExit(CLI::App& app, ServerConfig& config, int argc, char** argv);

// "host:port" with a non-empty host and a port in 0..65535.
bool IsHostPort(const std::string& value);

}  // namespace gridbridge::platform
