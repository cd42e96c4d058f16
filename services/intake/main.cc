// gridbridge-intake: the grid ledger (台账).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "background_arena.h"
#include "in_flight_budget.h"
#include "intake_service.h"
#include "logging.h"
#include "metrics.h"
#include "outbox.h"
#include "serve.h"
#include "signals.h"
#include "spdlog/spdlog.h"

using namespace gridbridge;

int main(int argc, char** argv) {
  platform::BlockShutdownSignals();
  platform::ServerConfig config;
  config.service_name = "intake";
  std::string id_key_file;
  CLI::App app{"gridbridge-intake: the grid ledger"};
  platform::AddServerFlags(app, config);
  app.add_option("--resident_id_key_file", id_key_file,
                 "secret (>= 16 bytes) that derives opaque resident and vehicle ids; never rotate")
      ->envname("GRIDBRIDGE_RESIDENT_ID_KEY_FILE")
      ->required();
  // One import stream holds up to ~27,000 rows between reading and
  // answering them (its queue of requests and the batches in planning,
  // commit and answer), ~2 KB each: the default lets one import run
  // unhindered and makes any number of concurrent ones share that much.
  // Measured (gridbench's 200,000-row import, docs/performance.md): 32,000
  // -> 33-34k rows/s, RSS peak 153 MiB; 8,000 -> 26-28k rows/s, 125-133 MiB.
  size_t import_rows_in_flight = 32000;
  app.add_option(
         "--import_rows_in_flight", import_rows_in_flight,
         "rows all BulkImport streams together may hold at once (>= 1000, a request's most)")
      ->envname("GRIDBRIDGE_IMPORT_ROWS_IN_FLIGHT")
      ->check(CLI::Range(size_t{1000}, size_t{10000000}));
  platform::ParseServerConfigOrExit(app, config, argc, argv);
  std::stringstream id_key;
  id_key << std::ifstream(id_key_file).rdbuf();
  if (id_key.str().size() < 16) {
    std::fprintf(stderr,
                 "intake: configuration error: GRIDBRIDGE_RESIDENT_ID_KEY_FILE must be a "
                 "readable file of at least 16 bytes\n");
    return 2;
  }
  platform::InitJsonLogging(config.service_name, config.log_level);
  // Freed pages kept 10 s, as screening keeps them (used again, not given
  // back and faulted in), and an import's given back as soon as it ends
  // (IntakeServiceImpl::BulkImport): RSS after a 200,000-row import 87-88
  // MiB instead of 150-157 with the servers' 1 s (its last batches not yet
  // purged), for a peak 15-30 MiB higher during it (docs/performance.md,
  // intake, session 26).
  platform::KeepFreedPagesFromStart(absl::Seconds(10));

  auto deps = platform::ServerDeps::Create(config);
  if (!deps.ok()) {
    spdlog::critical("start-up failed: {}", deps.status().ToString());
    return 1;
  }
  platform::ServerDeps& d = **deps;
  intake::IntakeStore store(*d.redis);
  intake::OpaqueIds ids(id_key.str());
  platform::OutboxRelay relay(*d.background_redis, *d.publisher, [&] { return d.tree.UnitIds(); },
                              {.service = intake::IntakeStore::kService});
  platform::InFlightBudget import_budget(
      import_rows_in_flight, "import rows",
      &prometheus::BuildGauge()
           .Name("gridbridge_intake_import_rows_in_flight")
           .Help("BulkImport rows read and not yet answered, all streams together")
           .Register(platform::Metrics())
           .Add({}));
  intake::IntakeServiceImpl service({*d.verifier, *d.authorizer, store, ids, d.clock(),
                                     [&](const std::string& grid) { relay.Notify(grid); },
                                     &import_budget});
  platform::GrpcServer server(config);
  server.AddService(&service);
  // What is left in the outbox at exit is published at the next start.
  return platform::ServeUntilSignal(
      config, server, d, [&] { relay.Start(); }, [&] { relay.Stop(); });
}
