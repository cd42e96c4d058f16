#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "admin_tree.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"

namespace gridbridge::bench {

// What every benchmark of a run shares.
struct BenchEnv {
  std::string token;               // a district admin's bearer token
  std::vector<std::string> grids;  // the grids of the admin tree
  std::vector<std::string> units;  // every unit (grids and the levels above)
  std::string run;                 // unique per run: request ids, names
  int family = 0;                  // varies generated ID-card numbers per run
  int threads = 32;                // calls in flight in the saturated (closed-loop) phases
  std::chrono::milliseconds duration{8000};
  std::string redis_addr;
  // Screening's admin endpoint (host:port, /metrics); empty: not scraped.
  std::string screening_admin;
};

// `n` channels of one connection each to `target`.
std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& target, int n);

struct IntakeTargets {
  std::string echo, intake;
  int intake_pid = 0;
  int bulk_rows = 200000;
};
// Figures into `out`: echo_qps, unary_qps, unary_ratio, p99_half_load_ms,
// bulk_rows_per_s, rss_mib_after_200k, rss_mib_peak_import, redis_used_memory_mib, ...
void RunIntakeBench(const BenchEnv& env, const IntakeTargets& targets, nlohmann::json& out);

struct ScreeningTargets {
  std::string screening, kafka_bootstrap;
  std::string echo;  // the echo server, for the committed echo's floor; empty: not measured
  int screening_pid = 0;
  int events = 100000;       // intake events to decide, then to re-screen
  int people_per_check = 1;  // new people per ScreenArrival (a vehicle's occupants)
  // ScreenArrival's rate while a backlog is decided; 0: half the saturated.
  double backlog_checks_per_s = 0;
  // ScreenArrival's open-loop rate after saturation; 0: half the saturated.
  double half_load_checks_per_s = 0;
};
// Figures into `out`: decisions_per_s, rescreen_100k_s, screen_qps,
// screen_p99_half_load_ms, screening_rss_mib, redis_used_memory_mib,
// {decisions,rescreen}_{screening,redis}_cpu_us, committed_echo_* ...
void RunScreeningBench(const BenchEnv& env, const ScreeningTargets& targets, nlohmann::json& out);

}  // namespace gridbridge::bench
