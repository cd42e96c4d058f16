// gridbench: figures for a running stack (start it with scripts/bench).
//
//   gridbench intake --echo_target H:P --intake_target H:P --redis_addr H:P
//                    --private_key_file F --intake_pid PID [--json]
//   gridbench screening --screening_target H:P --kafka_bootstrap H:P
//                       --redis_addr H:P --private_key_file F
//                       --screening_pid PID [--echo_target H:P] [--json]
//
// intake: the bare echo's unary and streaming ceilings on this machine; the
// same echo answered only after a commit in Redis (the floor of a durable
// call, at saturation and at half of it);
// RecordArrival unary throughput and latency at saturation and at half of
// it (open loop); BulkImport of --bulk_rows residents, answered and end to
// end (counted in Redis and drained from the outbox to Kafka); intake's
// resident set size afterwards.
// screening: decisions per second from intake's arrival events (produced
// to intake's topic, decided, on screening's topic and in Redis); a
// risk-area change re-screening them all; ScreenArrival at saturation and
// at half of it; the committed echo the same way (with --echo_target).
// With --json the last line is one JSON object.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "auth.h"
#include "bench_env.h"

using namespace gridbridge;

int main(int argc, char** argv) {
  // As the servers do (GrpcServer::Start): Debian builds abseil without
  // NDEBUG, so absl::Mutex's deadlock detector walks a lock graph on every
  // lock gRPC takes, ~2 % of the load generator's samples at half load,
  // CPU the stack it measures then lacks.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::string key_file, redis_addr, screening_admin, tree_file = "data/admin-tree.json";
  int threads = 32, seconds = 8;
  bool json = false;
  bench::IntakeTargets intake;
  bench::ScreeningTargets screening;
  CLI::App app{"gridbench: gridbridge benchmarks against a running stack"};
  app.require_subcommand(1);
  auto common = [&](CLI::App* cmd) {
    cmd->add_option("--redis_addr", redis_addr)->required()->envname("GRIDBRIDGE_REDIS_ADDR");
    cmd->add_option("--private_key_file", key_file)
        ->required()
        ->envname("GRIDBRIDGE_JWT_PRIVATE_KEY_FILE");
    cmd->add_option("--admin_tree_file", tree_file)->envname("GRIDBRIDGE_ADMIN_TREE_FILE");
    cmd->add_option("--threads", threads, "calls in flight in the saturated (closed-loop) phases")
        ->capture_default_str();
    cmd->add_option("--seconds", seconds, "per measurement")->capture_default_str();
    cmd->add_flag("--json", json, "print the figures as one JSON object on the last line");
    cmd->add_option("--screening_admin", screening_admin,
                    "screening's admin host:port: settling waits for its consumers' lag")
        ->envname("SCREENING_ADMIN");
  };
  auto* intake_cmd =
      app.add_subcommand("intake", "intake throughput, latency, bulk import, memory");
  common(intake_cmd);
  intake_cmd->add_option("--echo_target", intake.echo)->required()->envname("ECHO_TARGET");
  intake_cmd->add_option("--intake_target", intake.intake)->required()->envname("INTAKE_TARGET");
  intake_cmd->add_option("--intake_pid", intake.intake_pid)->required()->envname("INTAKE_PID");
  intake_cmd->add_option("--bulk_rows", intake.bulk_rows)->capture_default_str();
  auto* screening_cmd = app.add_subcommand(
      "screening", "screening decisions from events, re-screening, checkpoint latency");
  common(screening_cmd);
  screening_cmd->add_option("--screening_target", screening.screening)
      ->required()
      ->envname("SCREENING_TARGET");
  screening_cmd->add_option("--kafka_bootstrap", screening.kafka_bootstrap)
      ->required()
      ->envname("GRIDBRIDGE_KAFKA_BOOTSTRAP");
  screening_cmd->add_option("--screening_pid", screening.screening_pid)
      ->required()
      ->envname("SCREENING_PID");
  screening_cmd
      ->add_option("--echo_target", screening.echo,
                   "the echo server: the committed echo measured as the floor of a durable call")
      ->envname("ECHO_TARGET");
  screening_cmd->add_option("--events", screening.events, "arrival events to decide")
      ->capture_default_str();
  screening_cmd
      ->add_option("--people_per_check", screening.people_per_check,
                   "new people per ScreenArrival (a vehicle's occupants)")
      ->check(CLI::Range(1, 60))
      ->capture_default_str();
  screening_cmd
      ->add_option("--backlog_checks_per_s", screening.backlog_checks_per_s,
                   "ScreenArrival calls per second while the backlog is decided (0: half of the "
                   "saturated rate, as the half-load phase); a fixed rate compares builds whose "
                   "saturated rates differ")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  screening_cmd
      ->add_option("--half_load_checks_per_s", screening.half_load_checks_per_s,
                   "ScreenArrival calls per second after the saturated phase (0: half of the "
                   "saturated rate, the issue's definition); a fixed rate compares builds and "
                   "hours whose saturated rates differ")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::stringstream pem;
  pem << std::ifstream(key_file).rdbuf();
  platform::TokenIssuer issuer(pem.str(), "gridbridge", "gridbridge");
  bench::BenchEnv env;
  env.token = *issuer.Issue({"gridbench", common::v1::ROLE_DISTRICT_ADMIN, "431102"}, absl::Now(),
                            absl::Hours(2));
  auto tree = platform::AdminTree::Load(tree_file);
  if (!tree.ok()) {
    std::fprintf(stderr, "%s\n", tree.status().ToString().c_str());
    return 2;
  }
  for (const auto& n : tree->nodes()) {
    if (n.level() == common::v1::ADMIN_LEVEL_GRID) env.grids.push_back(n.id());
  }
  env.units = tree->UnitIds();
  env.run = "bench" + std::to_string(absl::ToUnixSeconds(absl::Now()));
  env.family = static_cast<int>(absl::ToUnixSeconds(absl::Now()) % 11);
  env.threads = threads;
  env.duration = std::chrono::seconds(seconds);
  env.redis_addr = redis_addr;
  env.screening_admin = screening_admin;

  nlohmann::json out;
  if (intake_cmd->parsed()) bench::RunIntakeBench(env, intake, out);
  if (screening_cmd->parsed()) bench::RunScreeningBench(env, screening, out);
  if (json) std::cout << out.dump() << std::endl;
  return 0;
}
