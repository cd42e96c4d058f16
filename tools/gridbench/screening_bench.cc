// gridbench screening: decisions from intake's arrival events end to end,
// a risk-area change re-screening all of them, the checkpoint call
// ScreenArrival at saturation and at half of it, and the committed echo
// (the floor of a durable call) measured the same way in the same run.
#include <algorithm>
#include <cstdio>
#include <thread>

#include "bench_env.h"
#include "committed_echo.h"
#include "event_records.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gridbridge/screening/v1/screening_service.grpc.pb.h"
#include "id_numbers.h"
#include "kafka_publisher.h"
#include "ledger_rows.h"
#include "load.h"
#include "publish_probe.h"
#include "redis_client.h"
#include "redis_keys.h"
#include "stack_probe.h"
#include "stack_quiet.h"
#include "unary_workload.h"

namespace gridbridge::bench {
namespace {

using Clock = std::chrono::steady_clock;
using google::protobuf::util::TimeUtil;

constexpr char kArrivalTopic[] = "gridbridge.intake.arrival.v1";
constexpr char kVisited[] = "440304";  // 深圳市福田区: in no risk list until step 2

// What screening's Redis says, summed over all grids (outboxes: all units).
struct Totals {
  long long decisions = 0, measures_started = 0, pending_events = 0;
  std::string rescreened;  // the list version last re-screened
};

// Reads what screening's Redis says. The polls while a phase runs read only
// what their condition needs, and the next thing only once the first holds:
// the probe's own commands load the Redis it measures (a full read is ~750
// commands, 20 times a second).
class ScreeningRedis {
 public:
  ScreeningRedis(const BenchEnv& env)
      : redis_(*platform::RedisOptionsFromAddr(env.redis_addr)),
        grids_(env.grids),
        units_(env.units) {
    units_.push_back("risk-areas");
  }
  Totals Read() {
    std::vector<platform::RedisArgs> cmds;
    for (const auto& g : grids_) {
      cmds.push_back({"HMGET", Keys(g).Key("counts"), "decisions", "measures_started"});
    }
    Totals t;
    auto replies = redis_.Pipeline(cmds);
    if (!replies.ok()) return t;
    for (const auto& reply : *replies) {
      const auto& counts = reply.elements;
      if (counts.size() == 2 && !counts[0].is_nil()) t.decisions += std::stoll(counts[0].str);
      if (counts.size() == 2 && !counts[1].is_nil())
        t.measures_started += std::stoll(counts[1].str);
    }
    t.pending_events = PendingEvents();
    t.rescreened = Rescreened();
    return t;
  }
  // Decisions counted over all grids (-1 if Redis did not answer).
  long long Decisions() { return SumOfCounts(redis_, "screening", grids_, "decisions"); }
  // Decision and measure events not yet on Kafka (-1 if Redis did not answer).
  long long PendingEvents() {
    auto lengths = OutboxLengths(redis_, "screening", units_);
    if (!lengths.has_value()) return -1;
    long long n = 0;
    for (long long len : *lengths) n += len;
    return n;
  }
  // The risk-area list version last re-screened ("" if none).
  std::string Rescreened() {
    auto reply = redis_.Command({"GET", Keys("risk-areas").Key("rescreened")});
    return reply.ok() && !reply->is_nil() ? reply->str : "";
  }
  // Polls until `done` holds; the seconds it took from `start`. Gives up
  // (and says so on stderr, and in stalled()) after 10 minutes, or once
  // `progress` (when given: counts that move while work is done) has not
  // changed for a minute: work that stopped moving will not finish (e.g.
  // events the local broker dropped).
  double Until(Clock::time_point start, const std::function<bool()>& done,
               const std::function<std::vector<long long>()>& progress = {}) {
    std::vector<long long> last = progress ? progress() : std::vector<long long>();
    auto moved = Clock::now();
    for (auto end = Clock::now() + std::chrono::minutes(10);;) {
      if (done()) break;
      const auto t = Clock::now();
      if (progress) {
        if (std::vector<long long> p = progress(); p != last) {
          last = std::move(p);
          moved = t;
        }
      }
      if (t >= end || t - moved >= kStall) {
        std::fprintf(stderr, "gave up waiting: %s\n",
                     t >= end ? "10 minutes passed" : "no progress for a minute");
        stalled_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
  }
  bool stalled() const { return stalled_; }

 private:
  static platform::GridKeys Keys(const std::string& unit) {
    return platform::GridKeys("screening", unit);
  }
  static constexpr auto kStall = std::chrono::minutes(1);
  platform::RedisClient redis_;
  std::vector<std::string> grids_;
  std::vector<std::string> units_;
  bool stalled_ = false;
};

// As intake publishes it: an arrival by train from Shenzhen, green code.
platform::KafkaRecord ArrivalEvent(const BenchEnv& env, long long i, absl::Time now) {
  const intake::v1::ArrivalRecorded event =
      ArrivalRow(i, env.run, env.grids, kVisited, "gridbench", now);
  return platform::EventRecord(kArrivalTopic, event.arrival().resident_id(), event, event.meta(),
                               "/gridbridge/intake");
}

// New person `n` arriving by car at check `check`, green code, bound for
// one of the benchmark's grids (a check's occupants go to the same one).
void AddCheckpointPerson(const BenchEnv& env, long long n, long long check,
                         screening::v1::ScreenArrivalRequest& req) {
  intake::v1::RecordArrivalRequest* p = req.add_people();
  p->set_request_id(env.run + "-sa-" + std::to_string(n));
  p->mutable_person()->set_name("来访者");
  p->mutable_person()->set_id_card_number(IdCardNumber(3000000 + n, env.family));
  p->mutable_person()->set_phone("13900000000");
  p->set_origin_division_code("430500");
  *p->mutable_arrival_time() = TimeUtil::GetCurrentTime();
  p->set_travel_mode(intake::v1::TRAVEL_MODE_CAR);
  p->set_vehicle_plate("湘E12345");
  p->set_health_code(intake::v1::HEALTH_CODE_COLOR_GREEN);
  p->mutable_destination()->set_estate("零耐嘉园");
  p->set_grid_id(env.grids[check % env.grids.size()]);
}

}  // namespace

void RunScreeningBench(const BenchEnv& env, const ScreeningTargets& targets, nlohmann::json& out) {
  ScreeningRedis redis(env);
  auto channels = Channels(targets.screening, 4);
  std::vector<std::unique_ptr<screening::v1::ScreeningService::Stub>> stubs;
  for (auto& c : channels) stubs.push_back(screening::v1::ScreeningService::NewStub(c));

  // 1. ScreenArrival: new people per call (one by default; screening
  // records their arrivals through intake, which registers them).
  const int per_check = targets.people_per_check;
  auto checkpoint_request = [&](long long i) {
    screening::v1::ScreenArrivalRequest req;
    req.set_request_id(env.run + "-s-" + std::to_string(i));
    for (int k = 0; k < per_check; ++k) AddCheckpointPerson(env, i * per_check + k, i, req);
    return req;
  };
  using Stub = screening::v1::ScreeningService::Stub;
  FailureLog failures("ScreenArrival");
  const StartFn screen = UnaryWorkload(stubs, &Stub::PrepareAsyncScreenArrival, checkpoint_request,
                                       "Bearer " + env.token, failures);
  // Per check over both phases and the settling between them, as intake's
  // benchmark does for RecordArrival.
  // The whole machine's CPU per saturated check, its working off included.
  const PhaseCpu screen_cpu(env.redis_addr, "screening", targets.screening_pid);
  MachinePhase screen_machine;
  const auto phases = RunSaturatedThenHalf(
      "ScreenArrival", screen, env.threads, env.duration,
      [&] { return WaitUntilQuietThenStop(env, screen_machine); }, targets.half_load_checks_per_s);
  const auto& [saturated, half, settle_s, half_machine, half_rate] = phases;
  screen_cpu.PerItem("screen", saturated.calls + half.calls, out);
  screen_machine.PerItem("screen", saturated.calls, out);
  half_machine.PerItem("screen_half_load", half.calls, out);
  // Above 1: a check costs the machine more at half load than saturated,
  // and half of the saturated rate keeps the cores busier than half.
  AddRatio(out, "screen_half_load_cpu_ratio", "screen_half_load_machine_cpu_us",
           "screen_machine_cpu_us");
  out["screen_qps"] = saturated.calls_per_s;
  out["screen_p50_saturation_ms"] = saturated.p50_ms;
  out["screen_p99_saturation_ms"] = saturated.p99_ms;
  out["screen_errors"] = saturated.errors;
  out["screen_half_load_calls_per_s"] = half_rate;
  out["screen_p50_half_load_ms"] = half.p50_ms;
  out["screen_p99_half_load_ms"] = half.p99_ms;
  out["screen_half_load_errors"] = half.errors;
  out["screen_half_load_settle_s"] = settle_s;

  // 2. Decisions from intake's events: produced to intake's topic as fast
  // as the producer goes; done when every one is counted in Redis and
  // every decision event is on screening's topic (the outboxes are empty).
  auto publisher = platform::KafkaPublisher::Create(
      {targets.kafka_bootstrap, "gridbench", {{"linger.ms", "5"}}});
  if (!publisher.ok()) {
    std::fprintf(stderr, "kafka: %s\n", publisher.status().ToString().c_str());
    return;
  }
  // The round trip the outbox relays wait for in each round (a round's
  // records go to every partition), against one partition's in the same
  // run: a connection whose answers wait on each other (the local broker
  // with Nagle's algorithm on its side, session 23) shows here.
  const PublishRoundTrip trip = MeasurePublishRoundTrip(**publisher, 30, 200);
  out["kafka_publish_spread_p50_ms"] = trip.spread_p50_ms;
  out["kafka_publish_spread_max_ms"] = trip.spread_max_ms;
  out["kafka_publish_one_partition_p50_ms"] = trip.one_p50_ms;
  out["kafka_publish_errors"] = trip.errors;
  std::fprintf(stderr,
               "Kafka publish of 200 records until delivered: over every partition of the probe "
               "topic p50 %.2f ms (max %.2f), to one partition p50 %.2f ms, %lld records not "
               "delivered\n",
               trip.spread_p50_ms, trip.spread_max_ms, trip.one_p50_ms, trip.errors);

  // The events are built before the clock starts: building them is the
  // load generator's work (~10 us of CPU each), which would otherwise take
  // its share of the two cores the stack runs on from what is measured.
  const long long n = targets.events;
  const absl::Time now = absl::Now();
  std::vector<std::vector<platform::KafkaRecord>> chunks;
  for (long long first = 0; first < n; first += 10000) {
    std::vector<platform::KafkaRecord>& records = chunks.emplace_back();
    for (long long i = first; i < std::min(n, first + 10000); ++i) {
      records.push_back(ArrivalEvent(env, i, now));
    }
  }
  // The producer plays intake's, which has long known the topic: its
  // partitions are loaded before the clock (a fresh producer's first
  // records waited ~0.9 s for them in 8 of 19 runs).
  if (absl::Status st = (*publisher)->LoadTopic(kArrivalTopic, absl::Seconds(10)); !st.ok()) {
    std::fprintf(stderr, "kafka: %s\n", st.ToString().c_str());
    return;
  }
  const Totals before = redis.Read();
  const PhaseCpu decisions_cpu(env.redis_addr, "screening", targets.screening_pid);
  MachinePhase decisions_machine;
  const auto start = Clock::now();
  long long produced = 0;
  for (const auto& records : chunks) {
    for (const auto& s : (*publisher)->PublishBatch(records, absl::Seconds(60))) produced += s.ok();
  }
  const double produced_s = std::chrono::duration<double>(Clock::now() - start).count();
  auto all_decided = [&] { return redis.Decisions() - before.decisions >= produced; };
  auto decisions_and_pending = [&] {
    return std::vector<long long>{redis.Decisions(), redis.PendingEvents()};
  };
  const double counted_s = redis.Until(start, all_decided, decisions_and_pending);
  const double decided_s = redis.Until(
      start, [&] { return all_decided() && redis.PendingEvents() == 0; }, decisions_and_pending);
  decisions_machine.Stop();
  out["decisions_in_redis_s"] = counted_s;
  chunks.clear();  // freed after the clock, as they were built before it
  const Totals decided = redis.Read();
  out["events"] = produced;
  out["events_produced_per_s"] = produced / produced_s;
  out["decisions"] = decided.decisions - before.decisions;
  out["decisions_per_s"] = (decided.decisions - before.decisions) / decided_s;
  decisions_cpu.PerItem("decisions", decided.decisions - before.decisions, out);
  decisions_machine.PerItem("decisions", decided.decisions - before.decisions, out);
  std::fprintf(stderr,
               "decisions from intake events: %lld events produced in %.2f s; %lld decided, in "
               "Redis after %.2f s, on Kafka after %.2f s: %.0f decisions/s\n",
               produced, produced_s, decided.decisions - before.decisions, counted_s, decided_s,
               (decided.decisions - before.decisions) / decided_s);

  // 3. The place they all visited becomes a medium-risk area: every one of
  // them is re-screened and gets a measure (with its events).
  screening::v1::SetRiskAreasRequest set;
  set.set_request_id(env.run + "-risk");
  auto* area = set.mutable_list()->add_areas();
  area->set_division_code(kVisited);
  area->set_level(screening::v1::RISK_LEVEL_MEDIUM);
  *area->mutable_effective_from() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now - absl::Hours(24 * 7)));
  grpc::ClientContext set_ctx;
  set_ctx.AddMetadata("authorization", "Bearer " + env.token);
  screening::v1::RiskAreaList list;
  const PhaseCpu rescreen_cpu(env.redis_addr, "screening", targets.screening_pid);
  const MachinePhase rescreen_machine;
  const auto rescreen_start = Clock::now();
  grpc::Status set_status = stubs[0]->SetRiskAreas(&set_ctx, set, &list);
  if (!set_status.ok()) {
    std::fprintf(stderr, "SetRiskAreas: %s\n", set_status.error_message().c_str());
    return;
  }
  const std::string version = std::to_string(list.version());
  const double marked_s =
      redis.Until(rescreen_start, [&] { return redis.Rescreened() == version; });
  const double rescreen_s = redis.Until(
      rescreen_start, [&] { return redis.Rescreened() == version && redis.PendingEvents() == 0; });
  const Totals rescreened = redis.Read();
  out["rescreen_arrivals"] = produced;
  out["rescreen_measures_started"] = rescreened.measures_started - decided.measures_started;
  out["rescreen_in_redis_s"] = marked_s;
  out["rescreen_100k_s"] = rescreen_s;
  rescreen_cpu.PerItem("rescreen", produced, out);
  rescreen_machine.PerItem("rescreen", produced, out);
  std::fprintf(stderr,
               "risk-area change: %lld arrivals re-screened, %lld measures started, in Redis "
               "after %.2f s, events on Kafka after %.2f s\n",
               produced, rescreened.measures_started - decided.measures_started, marked_s,
               rescreen_s);
  out["screening_rss_mib"] = RssMib(targets.screening_pid);
  out["redis_used_memory_mib"] = RedisUsedMemoryMib(env.redis_addr);
  out["redis_aof_rewrites"] = RedisAofRewrites(env.redis_addr);
  std::fprintf(stderr,
               "screening RSS %.1f MiB, Redis used memory %.1f MiB after the run, %lld AOF "
               "rewrites in it\n",
               out["screening_rss_mib"].get<double>(), out["redis_used_memory_mib"].get<double>(),
               out["redis_aof_rewrites"].get<long long>());

  // 4. Checks while a backlog is decided: a burst of intake's events (a
  // district's arrivals imported at once, consumers catching up after an
  // outage) must not stall the checkpoints. ScreenArrival at the half-load
  // rate of phase 1 (or --backlog_checks_per_s: a faster stack is otherwise
  // offered more checks here) while as many new arrivals as phase 2's are
  // decided (they visited the area phase 3 made medium-risk: each gets a
  // measure). Neither the decisions' rate nor the memory figures above are
  // taken here.
  const double backlog_rate =
      targets.backlog_checks_per_s > 0 ? targets.backlog_checks_per_s : saturated.calls_per_s / 2;
  const long long backlog_first = n;
  chunks.clear();
  for (long long first = 0; first < n; first += 10000) {
    std::vector<platform::KafkaRecord>& records = chunks.emplace_back();
    for (long long i = first; i < std::min(n, first + 10000); ++i) {
      records.push_back(ArrivalEvent(env, backlog_first + i, now));
    }
  }
  const Totals before_backlog = redis.Read();
  std::thread producer([&] {
    for (const auto& records : chunks) (*publisher)->PublishBatch(records, absl::Seconds(60));
  });
  const auto backlog_start = Clock::now();
  const LoadResult during =
      RunAtRate(screen, backlog_rate, env.duration, saturated.calls + half.calls + 1000000);
  producer.join();
  // Every backlog event decided (the checks' decisions count too, hence
  // the wait for the consumers' lag after).
  redis.Until(backlog_start, [&] { return redis.Decisions() - before_backlog.decisions >= n; });
  WaitUntilQuiet(env);
  const double backlog_s = std::chrono::duration<double>(Clock::now() - backlog_start).count();
  out["screen_during_backlog_calls_per_s"] = backlog_rate;
  out["screen_p50_during_backlog_ms"] = during.p50_ms;
  out["screen_p99_during_backlog_ms"] = during.p99_ms;
  out["screen_during_backlog_errors"] = during.errors;
  out["backlog_decided_s"] = backlog_s;
  std::fprintf(stderr,
               "ScreenArrival at %.0f calls/s while %lld events are decided: p50 %.2f ms, p99 "
               "%.2f ms, %lld errors; the backlog decided after %.2f s\n",
               backlog_rate, n, during.p50_ms, during.p99_ms, during.errors, backlog_s);
  // Figures of a wait that gave up are not the stack's: say so in the JSON.
  out["stalled"] = redis.stalled();

  // 5. The floor of a durable call, in the same run on the quiet stack: how
  // much more a call costs the machine at half load than saturated when it
  // is one gRPC call and one Redis script, next to phase 1's check.
  if (!targets.echo.empty()) RunCommittedEcho(env, targets.echo, out);
}

}  // namespace gridbridge::bench
