#include "measure_timer.h"

#include <set>

#include "measure_lifecycle.h"
#include "spdlog/spdlog.h"

namespace gridbridge::screening {
namespace {

common::v1::Actor ServiceActor() {
  common::v1::Actor actor;
  actor.set_subject("screening");
  return actor;
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
  auto due = store_.DueMeasures(grids_(), now, options_.batch_per_grid);
  if (!due.ok()) return due.status();
  if (due->empty()) return 0;
  auto measures = store_.GetMeasures(*due);
  if (!measures.ok()) return measures.status();

  std::vector<platform::GridTransaction> txns;
  for (size_t i = 0; i < due->size(); ++i) {
    const auto& [grid, id] = (*due)[i];
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
    for (const auto& [grid, id] : *due) {
      if (grids.count(ScreeningStore::Keys(grid).Outbox())) notify_outbox_(grid);
    }
  }
  return changed;
}

void MeasureTimer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
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
    if (!result.ok()) spdlog::warn("screening timer: {}", result.status().ToString());
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.interval),
                     [this] { return stop_; })) {
      return;
    }
  }
}

}  // namespace gridbridge::screening
