// gridbridge-screening: health-code and itinerary checks, risk areas,
// measures with their expiry (问题排查).
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "background_arena.h"
#include "background_thread.h"
#include "grpcpp/grpcpp.h"
#include "intake_events.h"
#include "kafka_consumer.h"
#include "logging.h"
#include "measure_timer.h"
#include "outbox.h"
#include "policy.h"
#include "redis_client.h"
#include "rescreener.h"
#include "screening_service.h"
#include "serve.h"
#include "service_channel.h"
#include "signals.h"
#include "spdlog/spdlog.h"

using namespace gridbridge;

namespace {

std::string ReadFile(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

long long ModifiedAt(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0
             ? static_cast<long long>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec
             : -1;
}

// Reloads the policy file when it changes; a file that does not load is
// logged with its line and reason, and the policy in force stays.
class PolicyWatcher {
 public:
  PolicyWatcher(std::string path, screening::PolicyHolder& holder)
      : path_(std::move(path)), holder_(holder), seen_(ModifiedAt(path_)) {
    thread_ = std::thread([this] {
      platform::BecomeBackgroundThread("policy-watcher");
      Loop();
    });
  }
  ~PolicyWatcher() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(5), [this] { return stop_; })) {
      const long long now = ModifiedAt(path_);
      if (now == seen_) continue;
      seen_ = now;
      if (absl::Status s = holder_.Reload(ReadFile(path_)); !s.ok()) {
        spdlog::error("screening policy {} not loaded, the policy in force stays: {}", path_,
                      std::string(s.message()));
      } else {
        spdlog::info("screening policy {} loaded: version {}", path_, holder_.Current()->version());
      }
    }
  }

  std::string path_;
  screening::PolicyHolder& holder_;
  long long seen_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  platform::BlockShutdownSignals();
  platform::ServerConfig config;
  config.service_name = "screening";
  std::string policy_file, intake_target;
  CLI::App app{"gridbridge-screening: checks, risk areas and measures"};
  platform::AddServerFlags(app, config);
  app.add_option("--policy_file", policy_file, "screening policy (protobuf text format)")
      ->envname("GRIDBRIDGE_SCREENING_POLICY_FILE")
      ->required();
  app.add_option("--intake_target", intake_target,
                 "intake's gRPC target: host:port, or a name resolving to every replica "
                 "(dns:///<headless service>:port) to spread calls over them")
      ->envname("GRIDBRIDGE_INTAKE_TARGET")
      ->required();
  int consumers = 3;
  app.add_option("--consumers", consumers,
                 "members of the consumer group in this process (each decides batches of "
                 "its partitions while the others wait on Redis)")
      ->envname("GRIDBRIDGE_SCREENING_CONSUMERS")
      ->check(CLI::Range(1, 12))
      ->capture_default_str();
  int list_max_age_ms = 1000;
  app.add_option("--risk_list_max_age_ms", list_max_age_ms,
                 "how long a check takes the risk-area list from memory once seen in force "
                 "(0: read it on every check); a change through another replica within it is "
                 "caught by the check's read after its commit, which re-screens the check")
      ->envname("GRIDBRIDGE_SCREENING_RISK_LIST_MAX_AGE_MS")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  platform::ParseServerConfigOrExit(app, config, argc, argv);
  auto policy = screening::LoadPolicy(ReadFile(policy_file));
  if (!policy.ok()) {
    std::fprintf(stderr, "screening: configuration error: %s: %s\n", policy_file.c_str(),
                 std::string(policy.status().message()).c_str());
    return 2;
  }
  platform::InitJsonLogging(config.service_name, config.log_level);
  // A backlog of intake's events is decided in batches of thousands, freed
  // and allocated again many times a second: kept 10 s, freed pages are
  // used again instead of given back and faulted in (1,468 -> 19 madvise
  // calls over 100,000 decisions, more decided per second in 3 of 3
  // alternating full runs; docs/performance.md, session 25).
  platform::KeepFreedPagesFromStart(absl::Seconds(10));

  auto deps = platform::ServerDeps::Create(config);
  if (!deps.ok()) {
    spdlog::critical("start-up failed: {}", deps.status().ToString());
    return 1;
  }
  platform::ServerDeps& d = **deps;
  const platform::Divisions& divisions = platform::Divisions::Builtin();
  screening::ScreeningStore store(*d.redis);
  screening::PolicyHolder policy_holder(std::move(*policy));
  PolicyWatcher watcher(policy_file, policy_holder);
  screening::RiskAreaCache risk_areas(store, *d.redis, divisions);
  screening::IntakeClient intake(platform::ServiceChannel(intake_target));
  auto units = [&] {
    std::vector<std::string> u = d.tree.UnitIds();
    u.push_back(screening::ScreeningStore::kRiskAreasUnit);
    return u;
  };
  platform::OutboxRelay relay(*d.background_redis, *d.publisher, units,
                              {.service = screening::ScreeningStore::kService});
  auto notify = [&](const std::string& unit) { relay.Notify(unit); };
  screening::ScreeningStore background_store(*d.background_redis);
  screening::MeasureTimer timer(
      background_store, d.clock(), [&] { return d.tree.UnitIds(); }, notify);
  screening::DecisionRecorder decisions(store, notify);
  // Past arrivals screened again when the risk-area list changes. The
  // re-screener looks for a new list every second on a background
  // connection, with a list of its own: the checks' (risk_areas) is kept
  // by the checks' reads and fences alone.
  screening::RiskAreaCache rescreen_risk_areas(background_store, *d.background_redis, divisions);
  screening::Rescreener rescreener({background_store, *d.background_redis, decisions, policy_holder,
                                    rescreen_risk_areas, divisions, d.clock(),
                                    [&] { return d.tree.UnitIds(); }});
  // Arrivals decided against a list that changed before they were
  // committed are re-screened by whoever committed them.
  auto rescreen_if_list_changed = [&](long long decided_with, const std::vector<std::string>& grids,
                                      std::optional<long long> version_after) {
    return rescreener.RescreenIfListChanged(decided_with, grids, version_after);
  };
  screening::ScreeningServiceImpl service({*d.verifier, *d.authorizer, store, intake, decisions,
                                           policy_holder, risk_areas, divisions, d.clock(), notify,
                                           [&] { rescreener.Notify(); }, rescreen_if_list_changed,
                                           absl::Milliseconds(list_max_age_ms)});
  // Intake's arrival and health events, screened as they come. The
  // consumers run at background priority (platform::BecomeBackgroundThread)
  // on their own connections: a round trip they shared with checks would
  // make the checks wait for a background thread's turn.
  auto consumer_redis_options = platform::RedisOptionsFromAddr(config.redis_addr);
  if (!consumer_redis_options.ok()) {
    spdlog::critical("start-up failed: {}", consumer_redis_options.status().ToString());
    return 1;
  }
  consumer_redis_options->pool_size = consumers;
  platform::RedisClient consumer_redis(*consumer_redis_options);
  screening::ScreeningStore consumer_store(consumer_redis);
  screening::RiskAreaCache consumer_risk_areas(consumer_store, consumer_redis, divisions);
  screening::DecisionRecorder consumer_decisions(consumer_store, notify);
  screening::IntakeEventHandler handler({consumer_store, consumer_decisions, policy_holder,
                                         consumer_risk_areas, divisions, d.clock(),
                                         rescreen_if_list_changed});
  platform::ConsumerOptions consumer_options;
  consumer_options.kafka = platform::KafkaOptions{config.kafka_bootstrap, "screening", {}};
  consumer_options.group_id = "screening";
  consumer_options.topics = {screening::kIntakeArrivalTopic, screening::kIntakeHealthStatusTopic};
  consumer_options.dead_letter_topic = "gridbridge.screening.dlq.v1";
  // A backlog is decided in batches of up to 5,000: a batch commits one
  // script run per grid, so a bigger batch pays each run's cost for more
  // decisions (~26 per grid here instead of ~10 with 2,000: Redis's CPU per
  // decision fell by 14-30 %, docs/performance.md). Live traffic makes small
  // batches anyway.
  consumer_options.max_batch = 5000;
  consumer_options.fetch_wait_ms = config.kafka_fetch_wait_ms;
  std::vector<std::unique_ptr<platform::KafkaConsumer>> members;
  for (int i = 0; i < consumers; ++i) {
    auto consumer = platform::KafkaConsumer::Create(
        consumer_options,
        [&](const std::vector<platform::ConsumedRecord>& batch) {
          return handler.HandleBatch(batch);
        },
        *d.publisher);
    if (!consumer.ok()) {
      spdlog::critical("start-up failed: {}", consumer.status().ToString());
      return 1;
    }
    members.push_back(std::move(*consumer));
  }
  std::vector<std::thread> consuming;
  platform::GrpcServer server(config);
  server.AddService(&service);
  return platform::ServeUntilSignal(
      config, server, d,
      [&] {
        relay.Start();
        timer.Start();
        rescreener.Start();
        for (auto& m : members) consuming.emplace_back([&m] { m->Run(); });
      },
      [&] {
        for (auto& m : members) m->Stop();
        for (auto& t : consuming) t.join();
        rescreener.Stop();
        timer.Stop();
        relay.Stop();
      });
}
