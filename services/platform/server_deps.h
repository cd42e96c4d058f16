#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "admin_tree.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "health_monitor.h"
#include "kafka_publisher.h"
#include "redis_client.h"

namespace gridbridge::platform {

// What every server builds from its ServerConfig at start-up: reference
// data, token verification, Redis and Kafka clients. Owns them all; pass
// members by reference to the service.
struct ServerDeps {
  // Errors at start-up are fatal for the caller: bad key or tree file
  // (INVALID_ARGUMENT / NOT_FOUND), bad Kafka properties. Redis and Kafka
  // being down is NOT an error here: the health monitor reports it.
  static absl::StatusOr<std::unique_ptr<ServerDeps>> Create(const ServerConfig& config);

  // Checks for the health monitor: "redis" (PING) and "kafka" (metadata).
  std::vector<DependencyCheck> HealthChecks();

  // The services' "now": real time, or a FileClock when --clock_file is
  // set (rehearsals and tests).
  const Clock& clock() const {
    if (file_clock) return *file_clock;
    return SystemClock::Instance();
  }
  std::unique_ptr<FileClock> file_clock;

  AdminTree tree;
  std::unique_ptr<TokenVerifier> verifier;
  std::unique_ptr<Authorizer> authorizer;
  // For request handlers: few connections, so that concurrent calls share
  // round trips (see RedisClient).
  std::unique_ptr<RedisClient> redis;
  // For background work (the outbox relay): its large batches must not sit
  // in the same round trips as request handlers' small ones.
  std::unique_ptr<RedisClient> background_redis;
  std::unique_ptr<KafkaPublisher> publisher;
};

}  // namespace gridbridge::platform
