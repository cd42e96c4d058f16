#include "measure_timer.h"

#include <set>

#include "background_thread.h"
#include "measure_lifecycle.h"
#include "metrics.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "spdlog/spdlog.h"

namespace gridbridge::screening {
namespace {

common::v1::Actor ServiceActor() {
  common::v1::Actor actor;
  actor.set_subject("screening");
  return actor;
}

struct TimerMetrics {
  prometheus::Gauge& lateness;
  prometheus::Gauge& last_pass;
  prometheus::Counter& failed_passes;
};

TimerMetrics& TimerInstruments() {
  static TimerMetrics m{
      prometheus::BuildGauge()
          .Name("gridbridge_screening_timer_lateness_seconds")
          .Help("How long past its time the longest-waiting due stage end or release was at the "
                "last timer pass (0: none due)")
          .Register(platform::Metrics())
          .Add({}),
      prometheus::BuildGauge()
          .Name("gridbridge_screening_timer_last_pass_timestamp_seconds")
          .Help("Wall-clock time the last timer pass completed")
          .Register(platform::Metrics())
          .Add({}),
      prometheus::BuildCounter()
          .Name("gridbridge_screening_timer_failed_passes_total")
          .Help("Timer passes that failed (Redis); their due changes wait for the next pass")
          .Register(platform::Metrics())
          .Add({})};
  return m;
}

}  // namespace

MeasureTimer::MeasureTimer(ScreeningStore& store, const platform::Clock& clock,
                           std::function<std::vector<std::string>()> grids,
                           std::function<void(const std::string&)> notify_outbox,
                           MeasureTimerOptions options)
    : store_(store),
      clock_(clock),
      grids_(std::move(grids)),
      notify_outbox_(std::move(notify_outbox)),
      options_(options) {}

MeasureTimer::~MeasureTimer() { Stop(); }

absl::StatusOr<int> MeasureTimer::RunOnce() {
  const absl::Time now = clock_.Now();
  auto found = store_.DueMeasures(grids_(), now, options_.batch_per_grid);
  if (!found.ok()) return found.status();
  const absl::Duration late = found->oldest ? now - *found->oldest : absl::ZeroDuration();
  lateness_ns_ = absl::ToInt64Nanoseconds(late);
  TimerInstruments().lateness.Set(absl::ToDoubleSeconds(late));
  const auto& due = found->measures;
  if (due.empty()) return 0;
  auto measures = store_.GetMeasures(due);
  if (!measures.ok()) return measures.status();

  std::vector<platform::GridTransaction> txns;
  for (size_t i = 0; i < due.size(); ++i) {
    const auto& [grid, id] = due[i];
    const std::optional<v1::Measure>& before = (*measures)[i];
    if (!before.has_value()) {
      spdlog::error("screening timer: grid {} has a timer for measure {} without a record", grid,
                    id);
      continue;
    }
    v1::Measure after = AdvanceDue(*before, now);
    if (after.version() == before->version()) continue;  // moved meanwhile (extended)
    txns.emplace_back(ScreeningStore::Keys(grid), "", "", now);
    AddMeasureChange(txns.back(), &*before, after, ServiceActor(), now);
  }
  auto outcomes = store_.CommitAll(txns);
  if (!outcomes.ok()) return outcomes.status();
  int changed = 0;
  std::set<std::string> grids;
  for (size_t i = 0; i < outcomes->size(); ++i) {
    const auto& o = (*outcomes)[i];
    if (!o.ok()) {
      spdlog::error("screening timer: {}", o.status().ToString());
      continue;
    }
    // A conflict: another replica (or a worker's change) got there first.
    if (o->kind != platform::GridTransaction::Outcome::Kind::kCommitted) continue;
    ++changed;
    grids.insert(txns[i].outbox_key());
  }
  if (notify_outbox_) {
    for (const auto& [grid, id] : due) {
      if (grids.count(ScreeningStore::Keys(grid).Outbox())) notify_outbox_(grid);
    }
  }
  return changed;
}

absl::Duration MeasureTimer::lateness() const { return absl::Nanoseconds(lateness_ns_.load()); }

void MeasureTimer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    platform::BecomeBackgroundThread("measure-timer");
    Loop();
  });
}

void MeasureTimer::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MeasureTimer::Loop() {
  while (true) {
    auto result = RunOnce();
    if (result.ok()) {
      TimerInstruments().last_pass.Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
    } else {
      TimerInstruments().failed_passes.Increment();
      spdlog::warn("screening timer: {}", result.status().ToString());
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.interval),
                     [this] { return stop_; })) {
      return;
    }
  }
}

}  // namespace gridbridge::screening
