// gridbridge-outbox-probe: commits N probe events through the outbox.
//
// Each event is committed in one Lua script together with a per-unit
// counter (the "state"); only after the script returned does the probe
// print "committed <sequence> <event_id>" - the equivalent of an RPC
// returning OK. A relay in the same process publishes the outbox to Kafka.
// With --wait_drained the probe exits once every outbox is empty.
#include <csignal>
#include <cstdio>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "cloud_events.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/testing/v1/echo.pb.h"
#include "kafka_publisher.h"
#include "logging.h"
#include "outbox.h"
#include "redis_client.h"
#include "redis_keys.h"
#include "signals.h"

namespace {

using gridbridge::platform::GridKeys;
using gridbridge::platform::KafkaRecord;

constexpr char kService[] = "probe";

const gridbridge::platform::RedisScript& CommitScript() {
  static const gridbridge::platform::RedisScript script(
      std::string(gridbridge::platform::kOutboxLua) + R"lua(
redis.call('INCR', KEYS[1])
gb_outbox_append(KEYS[2], {ARGV[1]})
return 1
)lua");
  return script;
}

KafkaRecord ProbeEvent(const std::string& topic, const std::string& unit, long long sequence,
                       std::string* event_id) {
  gridbridge::testing::v1::ProbeRecorded event;
  *event_id = gridbridge::platform::NewUuid();
  absl::Time now = absl::Now();
  auto* meta = event.mutable_meta();
  meta->set_event_id(*event_id);
  meta->set_entity_id(absl::StrFormat("probe-%d", sequence));
  meta->set_entity_version(1);
  *meta->mutable_occurred_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  meta->set_grid_id(unit);
  meta->mutable_actor()->set_subject("outbox-probe");
  event.set_sequence(sequence);
  gridbridge::platform::CloudEvent ce{*event_id, event.GetTypeName(), "/gridbridge/outbox-probe",
                                      now};
  return KafkaRecord{topic, unit, event.SerializeAsString(),
                     gridbridge::platform::ToKafkaHeaders(ce)};
}

}  // namespace

int main(int argc, char** argv) {
  std::string redis_addr, bootstrap, topic = "gridbridge.platform.probe.v1", prefix = "probe-u";
  long long start = 0, count = 0;
  int units = 8, batch = 50, lease_ms = 10000, pause_ms = 0;
  bool wait_drained = false, relay_enabled = true;
  CLI::App app{"gridbridge-outbox-probe: commit events through the transactional outbox"};
  app.add_option("--redis_addr", redis_addr, "Redis host:port")
      ->required()
      ->envname("GRIDBRIDGE_REDIS_ADDR");
  app.add_option("--kafka_bootstrap", bootstrap, "Kafka bootstrap")
      ->required()
      ->envname("GRIDBRIDGE_KAFKA_BOOTSTRAP");
  app.add_option("--topic", topic, "topic to publish to")->capture_default_str();
  app.add_option("--unit_prefix", prefix, "unit ids are <prefix>0..<prefix>N-1")
      ->capture_default_str();
  app.add_option("--units", units, "number of units (grids)")->capture_default_str();
  app.add_option("--start", start, "first sequence number")->capture_default_str();
  app.add_option("--count", count, "events to commit")->capture_default_str();
  app.add_option("--batch", batch, "events per Redis round trip")->capture_default_str();
  app.add_option("--pause_ms", pause_ms, "sleep between batches (an arrival rate)")
      ->capture_default_str();
  app.add_option("--lease_ms", lease_ms, "relay lease per unit")->capture_default_str();
  app.add_flag("--wait_drained", wait_drained, "exit once every outbox is empty");
  app.add_flag("!--no_relay", relay_enabled, "commit only; do not publish");
  CLI11_PARSE(app, argc, argv);

  gridbridge::platform::BlockShutdownSignals();
  gridbridge::platform::InitJsonLogging("outbox-probe", "warn");
  auto redis_options = gridbridge::platform::RedisOptionsFromAddr(redis_addr);
  if (!redis_options.ok()) {
    std::fprintf(stderr, "%s\n", redis_options.status().ToString().c_str());
    return 2;
  }
  gridbridge::platform::RedisClient redis(*redis_options);
  auto publisher = gridbridge::platform::KafkaPublisher::Create({bootstrap, "outbox-probe", {}});
  if (!publisher.ok()) {
    std::fprintf(stderr, "%s\n", publisher.status().ToString().c_str());
    return 2;
  }
  std::vector<std::string> unit_ids;
  for (int i = 0; i < units; ++i) unit_ids.push_back(prefix + std::to_string(i));
  gridbridge::platform::OutboxRelayOptions relay_options;
  relay_options.service = kService;
  relay_options.scan_interval = absl::Milliseconds(100);
  relay_options.publish_timeout = absl::Seconds(5);
  relay_options.lease = absl::Milliseconds(lease_ms);
  gridbridge::platform::OutboxRelay relay(
      redis, **publisher, [&] { return unit_ids; }, relay_options);
  if (relay_enabled) relay.Start();

  for (long long seq = start; seq < start + count;) {
    std::vector<std::pair<gridbridge::platform::RedisArgs, gridbridge::platform::RedisArgs>> calls;
    std::vector<std::string> ids;
    std::vector<long long> seqs;
    for (; seq < start + count && static_cast<int>(calls.size()) < batch; ++seq) {
      const std::string& unit = unit_ids[static_cast<size_t>(seq % units)];
      GridKeys keys(kService, unit);
      std::string id;
      KafkaRecord record = ProbeEvent(topic, unit, seq, &id);
      calls.push_back(
          {{keys.Key("count"), keys.Outbox()}, {gridbridge::platform::OutboxFrame(record)}});
      ids.push_back(id);
      seqs.push_back(seq);
    }
    auto result = redis.EvalBatch(CommitScript(), calls);
    if (!result.ok()) {
      // Not committed: the caller (this loop) retries, like a client would.
      std::fprintf(stderr, "commit failed, retrying: %s\n", result.status().ToString().c_str());
      seq = seqs.front();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      if ((*result)[i].is_error()) {
        std::fprintf(stderr, "script error: %s\n", (*result)[i].str.c_str());
        return 1;
      }
      std::printf("committed %lld %s\n", seqs[i], ids[i].c_str());
    }
    std::fflush(stdout);
    for (const auto& unit : unit_ids) relay.Notify(unit);
    if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  if (wait_drained) {
    while (true) {
      auto pending = relay.Pending();
      if (pending.ok() && *pending == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::printf("drained\n");
    std::fflush(stdout);
    return 0;
  }
  std::printf("waiting\n");
  std::fflush(stdout);
  gridbridge::platform::WaitForShutdownSignal();
  return 0;
}
