// Screening's CPU per decision on intake's arrival events, without I/O: what
// IntakeEventHandler and DecisionRecorder do between reading the people's
// records and sending the commit (decoding, the verdict, the decision's
// transaction, the commit's commands), over a batch of first arrivals of
// new people spread over 200 grids, as gridbench screening sends them.
#include <fstream>
#include <sstream>

#include "benchmark/benchmark.h"
#include "decision_transaction.h"
#include "event_records.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "micro.h"
#include "policy.h"
#include "risk_areas.h"
#include "screening_engine.h"

namespace gridbridge::micro {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kGrids = 200;

std::string GridId(long long i) { return "440304-grid-" + std::to_string(i % kGrids); }

// As gridbench screening publishes it: by train from Shenzhen, green code.
std::string ArrivalEventBytes(long long i, absl::Time now) {
  intake::v1::ArrivalRecorded event;
  intake::v1::Arrival* a = event.mutable_arrival();
  a->set_arrival_id("micro-e" + std::to_string(i));
  a->set_resident_id("micro-p" + std::to_string(i));
  a->set_grid_id(GridId(i));
  a->set_origin_division_code("440300");
  auto* place = a->add_visited_places();
  place->set_division_code("440304");
  const absl::CivilDay day = absl::ToCivilDay(now - absl::Hours(72), absl::FixedTimeZone(8 * 3600));
  place->mutable_date()->set_year(static_cast<int>(day.year()));
  place->mutable_date()->set_month(day.month());
  place->mutable_date()->set_day(day.day());
  *a->mutable_arrival_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now - absl::Hours(1)));
  a->set_travel_mode(intake::v1::TRAVEL_MODE_TRAIN);
  a->set_health_code(intake::v1::HEALTH_CODE_COLOR_GREEN);
  common::v1::Actor actor;
  actor.set_subject("gridmicro");
  *event.mutable_meta() = platform::NewEventMeta(a->arrival_id(), 1, a->grid_id(), actor, now);
  return event.SerializeAsString();
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
  std::vector<intake::v1::ArrivalRecorded*> events(batch.size());
  std::vector<platform::GridTransaction> txns;
  txns.reserve(batch.size());
  std::vector<screening::v1::PersonDecision> decisions(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    events[i] = google::protobuf::Arena::CreateMessage<intake::v1::ArrivalRecorded>(&arena);
    if (!events[i]->ParseFromString(batch[i])) std::abort();
    const intake::v1::Arrival& arrival = events[i]->arrival();
    const screening::Verdict verdict = Screen(policy, risk_areas, platform::Divisions::Builtin(),
                                              screening::ArrivalSituation(arrival), now);
    auto txn = screening::DecisionTransaction(actor, screening::ArrivalSubject(arrival, 0), verdict,
                                              now, kNewPerson, kNoMeasure,
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
