// gridbench intake: the bare echo's ceilings, the floor of a durable call
// (the echo committed in Redis first), RecordArrival at saturation and at
// half of it (open loop), BulkImport end to end, intake's memory.
#include <cstdio>
#include <thread>

#include "bench_env.h"
#include "committed_echo.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/intake/v1/intake_service.grpc.pb.h"
#include "gridbridge/testing/v1/echo.grpc.pb.h"
#include "id_numbers.h"
#include "ledger_rows.h"
#include "load.h"
#include "redis_client.h"
#include "stack_probe.h"
#include "stack_quiet.h"
#include "unary_workload.h"

namespace gridbridge::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

// What intake's Redis says of an import, read as cheaply as each question
// allows: the probe's commands load the Redis whose work it times.
class IntakeProbe {
 public:
  explicit IntakeProbe(const BenchEnv& env)
      : redis_(*platform::RedisOptionsFromAddr(env.redis_addr)), grids_(env.grids) {}

  // Residents counted over all grids (-1 if Redis did not answer).
  long long Residents() { return SumOfCounts(redis_, "intake", grids_, "residents"); }

  // Those of `units` whose outbox still has entries (all of them if Redis
  // did not answer).
  std::vector<std::string> Undrained(const std::vector<std::string>& units) {
    auto lengths = OutboxLengths(redis_, "intake", units);
    if (!lengths.has_value()) return units;
    std::vector<std::string> out;
    for (size_t i = 0; i < units.size(); ++i) {
      if ((*lengths)[i] > 0) out.push_back(units[i]);
    }
    return out;
  }

 private:
  platform::RedisClient redis_;
  std::vector<std::string> grids_;
};

}  // namespace

void RunIntakeBench(const BenchEnv& env, const IntakeTargets& targets, nlohmann::json& out) {
  // 1. The ceiling: a bare echo server on the same machine.
  auto echo_channels = Channels(targets.echo, 4);
  std::vector<std::unique_ptr<testing::v1::EchoService::Stub>> echo;
  for (auto& c : echo_channels) echo.push_back(testing::v1::EchoService::NewStub(c));
  testing::v1::EchoRequest ping;
  ping.set_payload(std::string(200, 'x'));  // about the size of an arrival
  using EchoStub = testing::v1::EchoService::Stub;
  // The same request every call, as the blocking callers sent it: not copied per call.
  auto echo_ping = [&](long long) -> const testing::v1::EchoRequest& { return ping; };
  FailureLog echo_failures("Echo");
  const MachinePhase echo_machine;
  auto echo_result =
      RunSaturated(UnaryWorkload(echo, &EchoStub::PrepareAsyncEcho, echo_ping, "", echo_failures),
                   env.threads, env.duration);
  out["echo_qps"] = echo_result.calls_per_s;
  std::fprintf(stderr, "echo unary: %.0f calls/s (p99 %.2f ms)\n", echo_result.calls_per_s,
               echo_result.p99_ms);
  echo_machine.PerItem("echo", echo_result.calls, out);
  {
    grpc::ClientContext ctx;
    testing::v1::EchoStreamSummary summary;
    auto stream = echo[0]->EchoStream(&ctx, &summary);
    auto t0 = Clock::now();
    long long sent = 0;
    while (Clock::now() - t0 < std::chrono::seconds(3) && stream->Write(ping)) ++sent;
    stream->WritesDone();
    stream->Finish();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    out["echo_stream_msgs_per_s"] = summary.count() / s;
    std::fprintf(stderr, "echo client stream: %.0f msgs/s\n", summary.count() / s);
  }

  // 2. The floors of a durable service, on the same echo server and through
  // the services' Redis client: what BulkImport and RecordArrival can reach
  // at best while an OK has to mean "committed with its event".
  {
    // Batches of 500 as the import sends them, each committed (one hash
    // write, one stream entry) before the next is read.
    grpc::ClientContext ctx;
    testing::v1::EchoStreamSummary summary;
    auto stream = echo[0]->EchoBatchesCommitted(&ctx, &summary);
    testing::v1::EchoBatch batch;
    for (int i = 0; i < 500; ++i) batch.add_payloads(ping.payload());
    auto t0 = Clock::now();
    while (Clock::now() - t0 < std::chrono::seconds(3) && stream->Write(batch)) {
    }
    stream->WritesDone();
    grpc::Status status = stream->Finish();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    out["committed_echo_rows_per_s"] = summary.count() / s;
    std::fprintf(stderr, "echo batches committed: %.0f rows/s%s\n", summary.count() / s,
                 status.ok() ? "" : (" (" + status.error_message() + ")").c_str());
  }
  // The echo answered only once Redis holds a counter and a stream entry
  // for the call (one script run per call).
  const auto committed = RunCommittedEcho(env, targets.echo, out);
  out["committed_echo_ratio"] = Ratio(committed.saturated.calls_per_s, echo_result.calls_per_s);

  // 3. RecordArrival: every call registers a new person on the way.
  auto intake_channels = Channels(targets.intake, 4);
  std::vector<std::unique_ptr<intake::v1::IntakeService::Stub>> stubs;
  for (auto& c : intake_channels) stubs.push_back(intake::v1::IntakeService::NewStub(c));
  auto arrival_request = [&](long long i) {
    intake::v1::RecordArrivalRequest req;
    req.set_request_id(env.run + "-a-" + std::to_string(i));
    req.mutable_person()->set_name("来访者");
    req.mutable_person()->set_id_card_number(IdCardNumber(1000000 + i, env.family));
    req.mutable_person()->set_phone("13900000000");
    req.set_origin_division_code("430500");
    *req.mutable_arrival_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
    req.set_travel_mode(intake::v1::TRAVEL_MODE_TRAIN);
    req.set_health_code(intake::v1::HEALTH_CODE_COLOR_GREEN);
    req.mutable_destination()->set_estate("零耐嘉园");
    req.set_grid_id(env.grids[i % env.grids.size()]);
    return req;
  };
  using Stub = intake::v1::IntakeService::Stub;
  FailureLog failures("RecordArrival");
  const StartFn arrival = UnaryWorkload(stubs, &Stub::PrepareAsyncRecordArrival, arrival_request,
                                        "Bearer " + env.token, failures);
  // Per call over both phases and the settling between them (where the
  // stack finishes the saturated phase's work): intake's and Redis's CPU.
  // And the whole machine's CPU per saturated call, what the stack
  // spent working it off included (screening's decisions, the relays).
  const PhaseCpu unary_cpu(env.redis_addr, "intake", targets.intake_pid);
  MachinePhase unary_machine;
  const auto phases =
      RunSaturatedThenHalf("RecordArrival", arrival, env.threads, env.duration,
                           [&] { return WaitUntilQuietThenStop(env, unary_machine); });
  const auto& [saturated, half, settle_s, half_machine, half_rate] = phases;
  unary_cpu.PerItem("unary", saturated.calls + half.calls, out);
  unary_machine.PerItem("unary", saturated.calls, out);
  half_machine.PerItem("unary_half_load", half.calls, out);
  // Above 1: a call costs the machine more at half load than saturated.
  AddRatio(out, "unary_half_load_cpu_ratio", "unary_half_load_machine_cpu_us",
           "unary_machine_cpu_us");
  out["unary_qps"] = saturated.calls_per_s;
  out["unary_p50_ms"] = saturated.p50_ms;
  out["unary_p99_saturation_ms"] = saturated.p99_ms;
  out["unary_errors"] = saturated.errors;
  out["unary_ratio"] = Ratio(saturated.calls_per_s, echo_result.calls_per_s);
  out["unary_ratio_to_committed_echo"] =
      Ratio(saturated.calls_per_s, committed.saturated.calls_per_s);
  // The same ratio in the machine's CPU per call: what the target asks of
  // the cost of a call, whatever the cores' use in each phase. (No
  // steadier than the rates: when this machine slows down, the same work
  // counts more CPU time.)
  AddRatio(out, "unary_cpu_ratio", "echo_machine_cpu_us", "unary_machine_cpu_us");
  out["p50_half_load_ms"] = half.p50_ms;
  out["p99_half_load_ms"] = half.p99_ms;
  out["half_load_settle_s"] = settle_s;

  // 4. BulkImport, answered and end to end.
  IntakeProbe probe(env);
  const long long residents_before = probe.Residents();
  grpc::ClientContext bulk_ctx;
  bulk_ctx.AddMetadata("authorization", "Bearer " + env.token);
  auto stream = stubs[0]->BulkImport(&bulk_ctx);
  const PhaseCpu bulk_cpu(env.redis_addr, "intake", targets.intake_pid);
  const MachinePhase bulk_machine;
  const bool peak_reset = ResetPeakRss(targets.intake_pid);
  const auto bulk_start = Clock::now();
  std::thread writer([&] {
    for (long long i = 0; i < targets.bulk_rows; i += 500) {
      intake::v1::BulkImportRequest request;
      for (long long k = i; k < std::min<long long>(targets.bulk_rows, i + 500); ++k) {
        auto* row = request.add_rows();
        row->set_row_number(k + 1);
        *row->mutable_resident() = RegistrationRow(k, env.family, env.run, env.grids);
      }
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  long long accepted = 0, answered = 0;
  intake::v1::BulkImportResponse response;
  while (stream->Read(&response)) {
    for (const auto& r : response.results()) {
      ++answered;
      accepted += r.accepted();
    }
  }
  writer.join();
  grpc::Status bulk_status = stream->Finish();
  double answered_s = std::chrono::duration<double>(Clock::now() - bulk_start).count();
  // Counted in Redis, then on Kafka. Every row was committed before it was
  // answered, so an outbox found empty now stays empty: each poll asks only
  // the outboxes that still had entries.
  std::vector<std::string> undrained = env.units;
  bool counted = false;
  for (int i = 0; i < 6000; ++i) {
    counted = counted || probe.Residents() - residents_before >= accepted;
    if (counted) {
      undrained = probe.Undrained(undrained);
      if (undrained.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double e2e_s = std::chrono::duration<double>(Clock::now() - bulk_start).count();
  out["bulk_rows"] = targets.bulk_rows;
  out["bulk_accepted"] = accepted;
  out["bulk_status"] = bulk_status.ok() ? "OK" : bulk_status.error_message();
  out["bulk_answered_rows_per_s"] = answered / answered_s;
  out["bulk_rows_per_s"] = accepted / e2e_s;
  bulk_cpu.PerItem("bulk", accepted, out);
  bulk_machine.PerItem("bulk", accepted, out);
  std::fprintf(
      stderr, "BulkImport %d rows: answered at %.0f rows/s; in Redis and on Kafka at %.0f rows/s\n",
      targets.bulk_rows, answered / answered_s, accepted / e2e_s);
  out["rss_mib_after_200k"] = RssMib(targets.intake_pid);
  // Intake's memory at its worst during the import (its batches in flight),
  // not only what it keeps after: what a pod's memory limit must allow.
  out["rss_mib_peak_import"] = peak_reset ? PeakRssMib(targets.intake_pid) : -1.0;
  // What intake keeps: its allocator gives freed pages back within a second
  // (services/platform/allocator), so the figure at the import's last row
  // still holds the tail of its batches.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  out["rss_mib_settled_2s"] = RssMib(targets.intake_pid);
  std::fprintf(stderr,
               "intake RSS after the import: %.1f MiB (at most %.1f MiB during it, %.1f MiB 2 s "
               "later)\n",
               out["rss_mib_after_200k"].get<double>(), out["rss_mib_peak_import"].get<double>(),
               out["rss_mib_settled_2s"].get<double>());
  out["redis_used_memory_mib"] = RedisUsedMemoryMib(env.redis_addr);
  out["redis_aof_rewrites"] = RedisAofRewrites(env.redis_addr);
  std::fprintf(stderr, "Redis used memory after the run: %.1f MiB, %lld AOF rewrites in it\n",
               out["redis_used_memory_mib"].get<double>(),
               out["redis_aof_rewrites"].get<long long>());
}

}  // namespace gridbridge::bench
