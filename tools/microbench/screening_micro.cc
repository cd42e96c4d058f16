// Screening's CPU per decision on intake's arrival events, without I/O: what
// IntakeEventHandler and DecisionRecorder do between reading the people's
// records and sending the commit (decoding, the verdict, the decision's
// transaction, the commit's commands), over a batch of first arrivals of
// new people spread over 200 grids, as gridbench screening sends them.
#include <fstream>
#include <sstream>

#include "benchmark/benchmark.h"
#include "decision_transaction.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gridbridge/screening/v1/intake_event_views.pb.h"
#include "ledger_rows.h"
#include "micro.h"
#include "policy.h"
#include "risk_areas.h"
#include "screening_engine.h"
#include "wire_fields.h"

namespace gridbridge::micro {
namespace {

constexpr int kGrids = 200;

// As gridbench screening publishes them: by train from Shenzhen, green code.
std::string ArrivalEventBytes(long long i, absl::Time now) {
  static const std::vector<std::string> grids = [] {
    std::vector<std::string> g;
    for (int k = 0; k < kGrids; ++k) g.push_back("440304-grid-" + std::to_string(k));
    return g;
  }();
  return bench::ArrivalRow(i, "micro", grids, "440304", "gridmicro", now).SerializeAsString();
}

screening::v1::Policy LoadedPolicy() {
  std::stringstream text;
  text << std::ifstream(GRIDBRIDGE_SOURCE_DIR "/data/screening-policy.textproto").rdbuf();
  auto policy = screening::LoadPolicy(text.str());
  if (!policy.ok()) {
    std::fprintf(stderr, "gridmicro: the policy does not load: %s\n",
                 policy.status().ToString().c_str());
    std::exit(1);
  }
  return *policy;
}

// One batch: decoded, decided, built and prepared, then freed (as the
// service frees it once committed).
[[gnu::noinline]] void RunDecisions(const std::vector<std::string>& batch,
                                    const screening::v1::Policy& policy,
                                    const screening::RiskAreaIndex& risk_areas, absl::Time now) {
  static const screening::ScreeningStore::Versioned<screening::v1::PersonStatus> kNewPerson;
  static const std::optional<screening::v1::Measure> kNoMeasure;
  common::v1::Actor actor;
  actor.set_subject("screening");
  google::protobuf::Arena arena;  // as IntakeEventHandler::HandleBatch decodes a batch
  std::vector<screening::v1::ArrivalRecordedView*> events(batch.size());
  std::vector<platform::GridTransaction> txns;
  txns.reserve(batch.size());
  std::vector<screening::v1::PersonDecision> decisions(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    events[i] = google::protobuf::Arena::CreateMessage<screening::v1::ArrivalRecordedView>(&arena);
    if (!events[i]->ParseFromString(batch[i])) std::abort();
    events[i]->mutable_arrival()->clear_vehicle_plate();  // as HandleBatch does
    events[i]->mutable_arrival()->clear_destination();
    const intake::v1::Arrival& arrival = events[i]->arrival();
    const screening::Verdict verdict = Screen(policy, risk_areas, platform::Divisions::Builtin(),
                                              screening::ArrivalSituation(arrival), now);
    // A new person's recent arrival from intake's events: no request-log
    // entry, its kept arrival witnesses it (RecordAll's kWitnessOrOutcome,
    // as IntakeEventHandler asks).
    screening::DecisionSubject subject = screening::ArrivalSubject(arrival, 0);
    if (events[i]->resident_created()) {
      subject.key.clear();
      subject.arrival_witnesses = true;
    }
    // Kept as the event carries it (no plate or destination), as the handler does.
    subject.arrival_bytes = platform::SoleLengthDelimitedField(
                                batch[i], screening::v1::ArrivalRecordedView::kArrivalFieldNumber)
                                .value_or(std::string_view());
    auto txn = screening::DecisionTransaction(actor, subject, verdict, now, kNewPerson, kNoMeasure,
                                              /*own_over=*/false, &decisions[i]);
    if (!txn.ok()) std::abort();
    txns.push_back(std::move(*txn));
  }
  auto prepared = platform::GridTransaction::Prepare(txns);
  benchmark::DoNotOptimize(prepared);
}

// What callgrind counts (--toggle-collect=*Measured*): one batch.
[[gnu::noinline]] void MeasuredDecisions(const std::vector<std::string>& batch,
                                         const screening::v1::Policy& policy,
                                         const screening::RiskAreaIndex& risk_areas,
                                         absl::Time now) {
  RunDecisions(batch, policy, risk_areas, now);
}

void BM_ScreeningDecisions(benchmark::State& state) {
  const absl::Time now = absl::FromUnixSeconds(1'649'635'200);  // 2022-04-11 08:00 +08
  const screening::v1::Policy policy = LoadedPolicy();
  const screening::RiskAreaIndex risk_areas(screening::v1::RiskAreaList(),
                                            platform::Divisions::Builtin());
  std::vector<std::string> batch;
  for (long long i = 0; i < state.range(0); ++i) batch.push_back(ArrivalEventBytes(i, now));
  RunDecisions(batch, policy, risk_areas, now);  // first-use costs (statics, allocator) before
  for (auto _ : state) {
    MeasuredDecisions(batch, policy, risk_areas, now);
    measured_items += state.range(0);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ScreeningDecisions)->Arg(500)->Arg(5000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gridbridge::micro
