// Intake's CPU per BulkImport row, without I/O: what the import's reader and
// planner do with a row of a new resident besides the directory claims and
// the commit's round trip (validation with the ID-card checks and the
// opaque id, the registration's transaction, the commit's commands), over
// batches of rows spread over 200 grids as gridbench intake sends them.
#include "benchmark/benchmark.h"
#include "ledger_rows.h"
#include "ledger_rules.h"
#include "ledger_transactions.h"
#include "micro.h"
#include "opaque_ids.h"

namespace gridbridge::micro {
namespace {

// One batch, validated and built as new residents, prepared, then freed.
[[gnu::noinline]] void RunRows(const std::vector<intake::v1::RegisterResidentRequest>& rows,
                               const intake::OpaqueIds& ids, const platform::Caller& caller,
                               absl::Time now) {
  std::vector<platform::GridTransaction> txns;
  txns.reserve(rows.size());
  for (const auto& row : rows) {
    auto incoming = intake::ValidateRegistration(row, now, ids);
    if (!incoming.ok()) std::abort();
    intake::v1::RegisterResidentResponse answer;
    txns.push_back(intake::RegistrationTransaction(caller, row.request_id(), nullptr, *incoming,
                                                   now, &answer, intake::Answer::kBulkRow));
  }
  auto prepared = platform::GridTransaction::Prepare(txns);
  benchmark::DoNotOptimize(prepared);
}

// What callgrind counts (--toggle-collect=*Measured*): one batch.
[[gnu::noinline]] void MeasuredRows(const std::vector<intake::v1::RegisterResidentRequest>& rows,
                                    const intake::OpaqueIds& ids, const platform::Caller& caller,
                                    absl::Time now) {
  RunRows(rows, ids, caller, now);
}

void BM_IntakeBulkRows(benchmark::State& state) {
  const absl::Time now = absl::FromUnixSeconds(1'649'635'200);  // 2022-04-11 08:00 +08
  const intake::OpaqueIds ids("gridmicro-opaque-id-key-0123456789");
  platform::Caller caller{"gridmicro", common::v1::ROLE_DISTRICT_ADMIN, "district"};
  std::vector<std::string> grids;
  for (int g = 0; g < 200; ++g) grids.push_back("431102001001g" + std::to_string(g));
  std::vector<intake::v1::RegisterResidentRequest> rows;
  for (long long i = 0; i < state.range(0); ++i) {
    rows.push_back(bench::RegistrationRow(i, 1, "micro", grids));
  }
  RunRows(rows, ids, caller, now);  // first-use costs (statics, allocator) before
  for (auto _ : state) {
    MeasuredRows(rows, ids, caller, now);
    measured_items += state.range(0);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_IntakeBulkRows)->Arg(4000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gridbridge::micro
