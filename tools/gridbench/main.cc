// gridbench: figures for a running stack (start it with scripts/bench).
//
//   gridbench intake --echo_target H:P --intake_target H:P --redis_addr H:P
//                    --private_key_file F --intake_pid PID [--json]
//
// In one run: the bare echo's unary and streaming ceilings on this machine;
// RecordArrival unary throughput and latency at saturation and at half of
// it (open loop); BulkImport of --bulk_rows residents, answered and end to
// end (counted in Redis and drained from the outbox to Kafka); intake's
// resident set size afterwards. With --json the last line is one JSON object.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "CLI/CLI.hpp"
#include "admin_tree.h"
#include "auth.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/intake/v1/intake_service.grpc.pb.h"
#include "gridbridge/testing/v1/echo.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "id_numbers.h"
#include "load.h"
#include "nlohmann/json.hpp"
#include "redis_client.h"
#include "redis_keys.h"

using namespace gridbridge;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& target, int n) {
  std::vector<std::shared_ptr<grpc::Channel>> out;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection each
    args.SetInt("gridbench.channel", i);
    out.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  return out;
}

double RssMib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

intake::v1::RegisterResidentRequest Resident(long long i, int family, const std::string& run,
                                             const std::vector<std::string>& grids) {
  intake::v1::RegisterResidentRequest r;
  r.set_request_id(run + "-r-" + std::to_string(i));
  r.set_name("居民");
  r.set_id_card_number(bench::IdCardNumber(i, family));
  r.set_phone("13800000000");
  r.mutable_address()->set_estate("枫木山小区");
  r.mutable_address()->set_building(std::to_string(i % 30) + "栋");
  r.set_grid_id(grids[i % grids.size()]);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string echo_target, intake_target, redis_addr, key_file;
  std::string tree_file = "data/admin-tree.json";
  int intake_pid = 0, threads = 32, seconds = 8, bulk_rows = 200000;
  bool json = false;
  CLI::App app{"gridbench: gridbridge benchmarks against a running stack"};
  app.require_subcommand(1);
  auto* intake_cmd =
      app.add_subcommand("intake", "intake throughput, latency, bulk import, memory");
  intake_cmd->add_option("--echo_target", echo_target)->required()->envname("ECHO_TARGET");
  intake_cmd->add_option("--intake_target", intake_target)->required()->envname("INTAKE_TARGET");
  intake_cmd->add_option("--redis_addr", redis_addr)->required()->envname("GRIDBRIDGE_REDIS_ADDR");
  intake_cmd->add_option("--private_key_file", key_file)
      ->required()
      ->envname("GRIDBRIDGE_JWT_PRIVATE_KEY_FILE");
  intake_cmd->add_option("--intake_pid", intake_pid)->required()->envname("INTAKE_PID");
  intake_cmd->add_option("--admin_tree_file", tree_file)->envname("GRIDBRIDGE_ADMIN_TREE_FILE");
  intake_cmd->add_option("--threads", threads, "concurrent callers")->capture_default_str();
  intake_cmd->add_option("--seconds", seconds, "per measurement")->capture_default_str();
  intake_cmd->add_option("--bulk_rows", bulk_rows)->capture_default_str();
  intake_cmd->add_flag("--json", json, "print the figures as one JSON object on the last line");
  CLI11_PARSE(app, argc, argv);

  std::stringstream pem;
  pem << std::ifstream(key_file).rdbuf();
  platform::TokenIssuer issuer(pem.str(), "gridbridge", "gridbridge");
  const std::string token = *issuer.Issue({"gridbench", common::v1::ROLE_DISTRICT_ADMIN, "431102"},
                                          absl::Now(), absl::Hours(2));
  auto tree = platform::AdminTree::Load(tree_file);
  if (!tree.ok()) {
    std::fprintf(stderr, "%s\n", tree.status().ToString().c_str());
    return 2;
  }
  std::vector<std::string> grids;
  for (const auto& n : tree->nodes()) {
    if (n.level() == common::v1::ADMIN_LEVEL_GRID) grids.push_back(n.id());
  }
  const std::string run = "bench" + std::to_string(absl::ToUnixSeconds(absl::Now()));
  const int family = static_cast<int>(absl::ToUnixSeconds(absl::Now()) % 11);
  const auto duration = std::chrono::seconds(seconds);
  nlohmann::json out;

  // 1. The ceiling: a bare echo server on the same machine.
  auto echo_channels = Channels(echo_target, 4);
  std::vector<std::unique_ptr<testing::v1::EchoService::Stub>> echo;
  for (auto& c : echo_channels) echo.push_back(testing::v1::EchoService::NewStub(c));
  testing::v1::EchoRequest ping;
  ping.set_payload(std::string(200, 'x'));  // about the size of an arrival
  auto echo_result = bench::RunSaturated(
      [&](long long i) {
        grpc::ClientContext ctx;
        testing::v1::EchoResponse resp;
        return echo[i % echo.size()]->Echo(&ctx, ping, &resp).ok();
      },
      threads, duration);
  out["echo_qps"] = echo_result.calls_per_s;
  std::fprintf(stderr, "echo unary: %.0f calls/s (p99 %.2f ms)\n", echo_result.calls_per_s,
               echo_result.p99_ms);
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

  // 2. RecordArrival: every call registers a new person on the way.
  auto intake_channels = Channels(intake_target, 4);
  std::vector<std::unique_ptr<intake::v1::IntakeService::Stub>> stubs;
  for (auto& c : intake_channels) stubs.push_back(intake::v1::IntakeService::NewStub(c));
  std::atomic<long long> failures_logged{0};
  auto arrival = [&](long long i) {
    intake::v1::RecordArrivalRequest req;
    req.set_request_id(run + "-a-" + std::to_string(i));
    req.mutable_person()->set_name("来访者");
    req.mutable_person()->set_id_card_number(bench::IdCardNumber(1000000 + i, family));
    req.mutable_person()->set_phone("13900000000");
    req.set_origin_division_code("430500");
    *req.mutable_arrival_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
    req.set_travel_mode(intake::v1::TRAVEL_MODE_TRAIN);
    req.set_health_code(intake::v1::HEALTH_CODE_COLOR_GREEN);
    req.mutable_destination()->set_estate("零耐嘉园");
    req.set_grid_id(grids[i % grids.size()]);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    intake::v1::RecordArrivalResponse resp;
    grpc::Status s = stubs[i % stubs.size()]->RecordArrival(&ctx, req, &resp);
    if (!s.ok() && failures_logged++ < 3)
      std::fprintf(stderr, "RecordArrival: %s\n", s.error_message().c_str());
    return s.ok();
  };
  auto saturated = bench::RunSaturated(arrival, threads, duration, 0);
  out["unary_qps"] = saturated.calls_per_s;
  out["unary_p50_ms"] = saturated.p50_ms;
  out["unary_p99_saturation_ms"] = saturated.p99_ms;
  out["unary_errors"] = saturated.errors;
  out["unary_ratio"] =
      echo_result.calls_per_s > 0 ? saturated.calls_per_s / echo_result.calls_per_s : 0;
  std::fprintf(stderr,
               "RecordArrival saturated: %.0f calls/s, p50 %.2f ms, p99 %.2f ms, %lld errors\n",
               saturated.calls_per_s, saturated.p50_ms, saturated.p99_ms, saturated.errors);
  auto half = bench::RunAtRate(arrival, saturated.calls_per_s / 2, threads, duration,
                               saturated.calls + 1000);
  out["p50_half_load_ms"] = half.p50_ms;
  out["p99_half_load_ms"] = half.p99_ms;
  std::fprintf(stderr, "RecordArrival at %.0f calls/s: p50 %.2f ms, p99 %.2f ms\n",
               saturated.calls_per_s / 2, half.p50_ms, half.p99_ms);

  // 3. BulkImport, answered and end to end.
  platform::RedisClient redis(*platform::RedisOptionsFromAddr(redis_addr));
  auto redis_totals = [&](long long* residents, long long* pending) {
    std::vector<platform::RedisArgs> cmds;
    for (const auto& g : tree->UnitIds()) {
      platform::GridKeys k("intake", g);
      cmds.push_back({"HGET", k.Key("counts"), "residents"});
      cmds.push_back({"XLEN", k.Outbox()});
    }
    auto replies = redis.Pipeline(cmds);
    *residents = *pending = 0;
    if (!replies.ok()) return;
    for (size_t i = 0; i < replies->size(); i += 2) {
      if (!(*replies)[i].is_nil()) *residents += std::stoll((*replies)[i].str);
      *pending += (*replies)[i + 1].integer;
    }
  };
  long long residents_before = 0, pending = 0;
  redis_totals(&residents_before, &pending);
  grpc::ClientContext bulk_ctx;
  bulk_ctx.AddMetadata("authorization", "Bearer " + token);
  auto stream = stubs[0]->BulkImport(&bulk_ctx);
  const auto bulk_start = Clock::now();
  std::thread writer([&] {
    for (long long i = 0; i < bulk_rows; i += 500) {
      intake::v1::BulkImportRequest request;
      for (long long k = i; k < std::min<long long>(bulk_rows, i + 500); ++k) {
        auto* row = request.add_rows();
        row->set_row_number(k + 1);
        *row->mutable_resident() = Resident(k, family, run, grids);
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
  long long residents_now = 0;
  for (int i = 0; i < 6000; ++i) {
    redis_totals(&residents_now, &pending);
    if (residents_now - residents_before >= accepted && pending == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double e2e_s = std::chrono::duration<double>(Clock::now() - bulk_start).count();
  out["bulk_rows"] = bulk_rows;
  out["bulk_accepted"] = accepted;
  out["bulk_status"] = bulk_status.ok() ? "OK" : bulk_status.error_message();
  out["bulk_answered_rows_per_s"] = answered / answered_s;
  out["bulk_rows_per_s"] = accepted / e2e_s;
  std::fprintf(
      stderr, "BulkImport %d rows: answered at %.0f rows/s; in Redis and on Kafka at %.0f rows/s\n",
      bulk_rows, answered / answered_s, accepted / e2e_s);
  out["rss_mib_after_200k"] = RssMib(intake_pid);
  std::fprintf(stderr, "intake RSS after the import: %.1f MiB\n",
               out["rss_mib_after_200k"].get<double>());
  if (json) std::cout << out.dump() << std::endl;
  return 0;
}
