#include "rescreener.h"

#include <algorithm>
#include <atomic>

#include "background_thread.h"
#include "cloud_events.h"
#include "lease.h"
#include "measure_lifecycle.h"
#include "metrics.h"
#include "spdlog/spdlog.h"

namespace gridbridge::screening {
namespace {

std::string DoneKey() {
  return ScreeningStore::Keys(ScreeningStore::kRiskAreasUnit).Key("rescreened");
}
std::string LeaseKey() {
  return ScreeningStore::Keys(ScreeningStore::kRiskAreasUnit).Key("rescreen-lease");
}

common::v1::Actor ServiceActor() {
  common::v1::Actor actor;
  actor.set_subject("screening");
  return actor;
}

prometheus::Counter& LateRescreens() {
  static auto& counter = prometheus::BuildCounter()
                             .Name("gridbridge_screening_late_rescreens_total")
                             .Help(
                                 "Grids re-screened again because arrivals decided against an "
                                 "older risk-area list were committed after the list changed")
                             .Register(platform::Metrics())
                             .Add({});
  return counter;
}

}  // namespace

Rescreener::Rescreener(Deps deps, RescreenerOptions options)
    : deps_(std::move(deps)), options_(options), token_(platform::NewUuid()) {
  LateRescreens();  // exported from the start, at 0
}

Rescreener::~Rescreener() { Stop(); }

absl::StatusOr<RescreenResult> Rescreener::RunOnce() {
  RescreenResult result;
  auto index = deps_.risk_areas.Current();
  if (!index.ok()) return index.status();
  const long long version = (*index)->list().version();
  auto done = deps_.redis.Command({"GET", DoneKey()});
  if (!done.ok()) return done.status();
  if (version == 0 || (!done->is_nil() && std::stoll(done->str) >= version)) return result;
  // One replica at a time; the lease is ours if free or already ours.
  auto lease = platform::AcquireLease(deps_.redis, LeaseKey(), token_, options_.lease);
  if (!lease.ok()) return lease.status();
  if (!*lease) return result;

  const absl::Time now = deps_.clock.Now();
  const std::shared_ptr<const v1::Policy> policy = deps_.policy.Current();
  const absl::Time since = now - absl::Hours(24) * (policy->lookback_days() + 1);
  const std::vector<std::string> grids = deps_.grids();
  // Chunks of grids on a few workers, so that deciding one chunk overlaps
  // Redis working on another's.
  const std::vector<std::vector<std::string>> chunks = Chunks(grids);
  std::atomic<size_t> next{0};
  std::mutex mu;
  absl::Status failed;
  auto work = [&] {
    while (true) {
      const size_t i = next++;
      if (i >= chunks.size()) return;
      auto done_chunk = RescreenChunk(chunks[i], since, version, *policy, **index, now);
      // Renewed after every chunk, so that a long pass keeps it; lost (a
      // stall longer than the lease), the other replica goes on.
      absl::StatusOr<bool> still =
          done_chunk.ok() ? platform::AcquireLease(deps_.redis, LeaseKey(), token_, options_.lease)
                          : absl::StatusOr<bool>(true);
      if (still.ok() && !*still)
        still = absl::AbortedError("re-screen lease lost to another replica");
      std::lock_guard lock(mu);
      if (!done_chunk.ok() || !still.ok()) {
        failed.Update(done_chunk.ok() ? still.status() : done_chunk.status());
        next = chunks.size();  // stop; the next pass does it again
        return;
      }
      result.arrivals += done_chunk->arrivals;
      result.changed += done_chunk->changed;
    }
  };
  std::vector<std::thread> workers;
  for (int w = 1; w < options_.workers; ++w) workers.emplace_back(work);
  work();
  for (auto& t : workers) t.join();
  if (!failed.ok()) return failed;
  // Done with this version, if the lease is still ours.
  auto holder = deps_.redis.Command({"GET", LeaseKey()});
  if (!holder.ok()) return holder.status();
  if (!holder->is_nil() && holder->str == token_) {
    auto set = deps_.redis.Command({"SET", DoneKey(), std::to_string(version)});
    if (!set.ok()) return set.status();
    (void)deps_.redis.Command({"DEL", LeaseKey()});
  }
  result.list_version = version;
  spdlog::info(
      "re-screened {} arrivals against risk-area list v{}: {} people now under a measure "
      "or a stricter one",
      result.arrivals, version, result.changed);
  return result;
}

absl::StatusOr<RescreenResult> Rescreener::RescreenChunk(const std::vector<std::string>& chunk,
                                                         absl::Time since, long long version,
                                                         const v1::Policy& policy,
                                                         const RiskAreaIndex& index,
                                                         absl::Time now) {
  RescreenResult out;
  auto arrivals = deps_.store.ArrivalsSince(chunk, since);
  if (!arrivals.ok()) return arrivals.status();
  // Decide again; only people for whom the new list calls for more are
  // written (read their measures first, in one round trip).
  std::vector<std::pair<const ScreeningStore::ArrivalToRescreen*, Verdict>> candidates;
  std::vector<std::pair<std::string, std::string>> measure_keys;
  for (const auto& a : *arrivals) {
    ++out.arrivals;
    Situation s = ArrivalSituation(a.arrival);
    s.doses = a.person.value.doses();
    if (a.person.value.has_latest_test()) AddTest(a.person.value.latest_test(), &s);
    Verdict verdict = Screen(policy, index, deps_.divisions, s, now);
    if (verdict.decision != v1::DECISION_MEASURE) continue;
    measure_keys.emplace_back(a.arrival.grid_id(), a.person.value.measure().measure_id());
    candidates.emplace_back(&a, std::move(verdict));
  }
  std::vector<std::pair<std::string, std::string>> existing;
  for (const auto& k : measure_keys) {
    if (!k.second.empty()) existing.push_back(k);
  }
  auto measures = deps_.store.GetMeasures(existing);
  if (!measures.ok()) return measures.status();
  // Each candidate's measure, as read (none for people without one).
  std::vector<std::optional<v1::Measure>> currents(candidates.size());
  size_t next_existing = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!measure_keys[i].second.empty()) currents[i] = std::move((*measures)[next_existing++]);
  }
  // The arrival's own measure may have run its course before the person's
  // record came to name a later one (also over): then it must not be
  // started again (its id is taken). Read only for those few people.
  std::vector<size_t> later;
  std::vector<std::pair<std::string, std::string>> own_keys;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& current = currents[i];
    const intake::v1::Arrival& arrival = candidates[i].first->arrival;
    const std::string own = MeasureIdFor(arrival.grid_id(), arrival.arrival_id());
    if (current.has_value() && current->status() != v1::MEASURE_STATUS_ACTIVE &&
        current->measure_id() != own) {
      later.push_back(i);
      own_keys.emplace_back(arrival.grid_id(), own);
    }
  }
  std::vector<bool> own_over(candidates.size(), false);
  if (!own_keys.empty()) {
    auto own = deps_.store.GetMeasures(own_keys);
    if (!own.ok()) return own.status();
    for (size_t k = 0; k < later.size(); ++k) {
      own_over[later[k]] =
          (*own)[k].has_value() && (*own)[k]->status() != v1::MEASURE_STATUS_ACTIVE;
    }
  }
  std::vector<DecisionRecorder::Rescreen> changing;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::optional<v1::Measure>& current = currents[i];
    const auto& [a, verdict] = candidates[i];
    if (own_over[i]) continue;  // this arrival's measure ran its course, before a later one
    const bool active = current.has_value() && current->status() == v1::MEASURE_STATUS_ACTIVE;
    // The measure the arrival calls for counts from its time (as at the
    // checkpoint), not from now.
    const absl::Time arrived = absl::FromUnixSeconds(a->arrival.arrival_time().seconds());
    if (active && !CallsForMore(*current, verdict, arrived, now)) continue;
    if (!active && current.has_value() &&
        current->measure_id() == MeasureIdFor(a->arrival.grid_id(), a->arrival.arrival_id())) {
      continue;  // this arrival's measure already ran its course
    }
    // Decided on what was read above; the commit's version guards catch a
    // change since.
    changing.push_back({&a->arrival, &a->person, &current, &verdict});
  }
  for (const auto& decided :
       deps_.decisions.RecordRescreens(ServiceActor(), changing, version, now)) {
    // The next pass goes on (decisions are idempotent).
    if (!decided.ok()) return decided;
  }
  out.changed += static_cast<long long>(changing.size());
  return out;
}

std::vector<std::vector<std::string>> Rescreener::Chunks(
    const std::vector<std::string>& grids) const {
  std::vector<std::vector<std::string>> chunks;
  for (size_t first = 0; first < grids.size(); first += options_.grids_per_round_trip) {
    chunks.emplace_back(grids.begin() + static_cast<long>(first),
                        grids.begin() + static_cast<long>(std::min(
                                            grids.size(), first + options_.grids_per_round_trip)));
  }
  return chunks;
}

absl::StatusOr<bool> Rescreener::RescreenIfListChanged(long long decided_with,
                                                       const std::vector<std::string>& grids,
                                                       std::optional<long long> version_after) {
  if (grids.empty() || (version_after.has_value() && *version_after <= decided_with)) return false;
  auto index = deps_.risk_areas.Current();
  if (!index.ok()) return index.status();
  const long long version = (*index)->list().version();
  if (version <= decided_with) return false;
  std::vector<std::string> unique = grids;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  const absl::Time now = deps_.clock.Now();
  const std::shared_ptr<const v1::Policy> policy = deps_.policy.Current();
  const absl::Time since = now - absl::Hours(24) * (policy->lookback_days() + 1);
  RescreenResult result;
  for (const auto& chunk : Chunks(unique)) {
    auto done = RescreenChunk(chunk, since, version, *policy, **index, now);
    if (!done.ok()) return done.status();
    result.arrivals += done->arrivals;
    result.changed += done->changed;
  }
  LateRescreens().Increment(static_cast<double>(unique.size()));
  spdlog::info(
      "arrivals decided against risk-area list v{} were committed after v{} came: re-screened "
      "{} arrivals of {} grids, {} people now under a measure or a stricter one",
      decided_with, version, result.arrivals, unique.size(), result.changed);
  return true;
}

void Rescreener::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    // Its chunk workers inherit the priority; a re-screen a check runs
    // itself (RescreenIfListChanged) keeps the check's.
    platform::BecomeBackgroundThread("rescreener");
    Loop();
  });
}

void Rescreener::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Rescreener::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void Rescreener::Loop() {
  while (true) {
    auto result = RunOnce();
    if (!result.ok()) spdlog::warn("screening re-screen: {}", result.status().ToString());
    std::unique_lock lock(mu_);
    // A hint that came during the pass is kept: the pass may have read the
    // list before the change.
    cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.interval),
                 [this] { return stop_ || notified_; });
    if (stop_) return;
    notified_ = false;
  }
}

}  // namespace gridbridge::screening
