#include "outbox.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "background_thread.h"
#include "cloud_events.h"
#include "lease.h"
#include "metrics.h"
#include "outbox_pack.h"
#include "redis_keys.h"
#include "spdlog/spdlog.h"

namespace gridbridge::platform {

const char kOutboxLua[] = R"lua(
local function gb_outbox_append(stream, frames)
  if #frames > 0 then redis.call('XADD', stream, '*', 'b', table.concat(frames)) end
end
)lua";

namespace {

// Releases the lease if it is still ours.
const RedisScript& ReleaseLeaseScript() {
  static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua");
  return script;
}

struct RelayMetrics {
  prometheus::Counter& published;
  prometheus::Counter& failed_rounds;
  prometheus::Gauge& pending;
};

RelayMetrics& Relay() {
  static RelayMetrics m{prometheus::BuildCounter()
                            .Name("gridbridge_outbox_published_total")
                            .Help("Outbox records acknowledged by Kafka and deleted")
                            .Register(Metrics())
                            .Add({}),
                        prometheus::BuildCounter()
                            .Name("gridbridge_outbox_failed_rounds_total")
                            .Help("Relay rounds that hit a Redis or Kafka failure")
                            .Register(Metrics())
                            .Add({}),
                        prometheus::BuildGauge()
                            .Name("gridbridge_outbox_pending")
                            .Help("Outbox entries (commits) waiting, as of the last scan")
                            .Register(Metrics())
                            .Add({})};
  return m;
}

// The first format: one record per entry, as fields t, k, v, h:<name>.
absl::StatusOr<KafkaRecordView> DecodeSingle(const RedisReply& fields) {
  KafkaRecordView r;
  bool has_topic = false;
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    const std::string& name = fields.elements[i].str;
    const std::string& value = fields.elements[i + 1].str;
    if (name == "t") {
      r.topic = value;
      has_topic = true;
    } else if (name == "k") {
      r.key = value;
    } else if (name == "v") {
      r.value = value;
    } else if (name.rfind("h:", 0) == 0) {
      r.headers.emplace_back(std::string_view(name).substr(2), value);
    }
  }
  if (!has_topic || r.topic.empty()) return absl::DataLossError("outbox entry has no topic");
  return r;
}

}  // namespace

absl::StatusOr<std::vector<KafkaRecordView>> DecodeOutboxEntryViews(RedisReply& fields) {
  if (fields.type != RedisReply::Type::kArray || fields.elements.size() % 2 != 0) {
    return absl::DataLossError("outbox entry is not a field list");
  }
  if (fields.elements.size() == 2 && fields.elements[0].str == "b") {
    std::string& stored = fields.elements[1].str;
    if (IsPackedOutboxEntry(stored)) {
      auto batch = UnpackOutboxEntry(stored);
      if (!batch.ok()) return batch.status();
      stored = std::move(*batch);
    }
    return DecodeOutboxFrameViews(stored);
  }
  auto single = DecodeSingle(fields);
  if (!single.ok()) return single.status();
  std::vector<KafkaRecordView> out;
  out.push_back(std::move(*single));
  return out;
}

absl::StatusOr<std::vector<KafkaRecord>> DecodeOutboxEntry(const RedisReply& fields) {
  RedisReply copy = fields;  // unpacked in place; tests and tools, not the relay
  auto views = DecodeOutboxEntryViews(copy);
  if (!views.ok()) return views.status();
  return Owned(*views);
}

OutboxRelay::OutboxRelay(RedisClient& redis, KafkaPublisher& publisher,
                         std::function<std::vector<std::string>()> units,
                         OutboxRelayOptions options)
    : redis_(redis),
      publisher_(publisher),
      units_(std::move(units)),
      options_(std::move(options)),
      token_(NewUuid()) {}

OutboxRelay::~OutboxRelay() { Stop(); }

std::string OutboxRelay::StreamKey(const std::string& unit) const {
  return GridKeys(options_.service, unit).Outbox();
}

std::string OutboxRelay::LeaseKey(const std::string& unit) const {
  return GridKeys(options_.service, unit).OutboxLease();
}

void OutboxRelay::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelay::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;
  thread_.join();
  std::vector<std::pair<RedisArgs, RedisArgs>> releases;
  for (const auto& [unit, until] : leased_) releases.push_back({{LeaseKey(unit)}, {token_}});
  leased_.clear();
  // Best effort: a lease not released expires on its own.
  if (!releases.empty()) (void)redis_.EvalBatch(ReleaseLeaseScript(), releases);
}

void OutboxRelay::Notify(const std::string& unit) {
  {
    std::lock_guard lock(mu_);
    notified_.insert(unit);
  }
  cv_.notify_all();
}

absl::StatusOr<long long> OutboxRelay::Pending() {
  std::vector<RedisArgs> commands;
  for (const auto& unit : units_()) commands.push_back({"XLEN", StreamKey(unit)});
  auto replies = redis_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  long long total = 0;
  for (const auto& r : *replies) total += r.integer;
  return total;
}

absl::StatusOr<int> OutboxRelay::RunRound(std::vector<std::string> units) {
  if (units.empty()) {
    // A full scan: find the units with something waiting.
    std::vector<std::string> all = units_();
    std::vector<RedisArgs> lens;
    for (const auto& unit : all) lens.push_back({"XLEN", StreamKey(unit)});
    auto replies = redis_.Pipeline(lens);
    if (!replies.ok()) return replies.status();
    long long pending = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if ((*replies)[i].integer > 0) units.push_back(all[i]);
      pending += (*replies)[i].integer;
    }
    Relay().pending.Set(static_cast<double>(pending));
    if (units.empty()) return 0;
  }
  // Take (or renew) the lease of each unit unless this relay renewed it
  // within the first half of its time: most rounds of a busy unit run no
  // script. Times are taken before the request goes out, so the
  // lease is held at least until the time noted.
  const std::string lease_ms = std::to_string(absl::ToInt64Milliseconds(options_.lease));
  const absl::Time asked_at = absl::Now();
  std::vector<std::pair<RedisArgs, RedisArgs>> lease_calls;
  std::vector<size_t> asked;
  for (size_t i = 0; i < units.size(); ++i) {
    auto held = leased_.find(units[i]);
    if (held != leased_.end() && held->second - asked_at > options_.lease / 2) continue;
    asked.push_back(i);
    lease_calls.push_back({{LeaseKey(units[i])}, {token_, lease_ms}});
  }
  if (!lease_calls.empty()) {
    auto leases = redis_.EvalBatch(AcquireLeaseScript(), lease_calls);
    if (!leases.ok()) return leases.status();
    for (size_t k = 0; k < asked.size(); ++k) {
      if ((*leases)[k].integer == 1) {
        leased_[units[asked[k]]] = asked_at + options_.lease;
      } else {
        leased_.erase(units[asked[k]]);
      }
    }
  }

  std::vector<std::string> owned;
  std::vector<RedisArgs> reads;
  const int per_unit = options_.entries_per_unit;
  for (size_t i = 0; i < units.size(); ++i) {
    if (!leased_.contains(units[i])) continue;
    if (static_cast<int>(owned.size()) * per_unit >= options_.max_entries_per_round) {
      // Over this round's bound: the next round takes it, not the next scan.
      Notify(units[i]);
      continue;
    }
    owned.push_back(units[i]);
    reads.push_back({"XRANGE", StreamKey(units[i]), "-", "+", "COUNT", std::to_string(per_unit)});
  }
  auto ranges = redis_.Pipeline(reads);
  if (!ranges.ok()) return ranges.status();

  // Each unit's entries, in stream order, with the range of `records` each
  // one expands to.
  struct Entry {
    std::string id;
    size_t first, end;
  };
  std::vector<KafkaRecordView> records;  // views of `ranges`
  std::vector<std::vector<Entry>> entries(owned.size());
  for (size_t u = 0; u < owned.size(); ++u) {
    for (auto& entry : (*ranges)[u].elements) {
      if (entry.elements.size() != 2) continue;
      auto decoded = DecodeOutboxEntryViews(entry.elements[1]);
      if (!decoded.ok()) {
        // A corrupt entry can never be published; leave it in place and
        // stop this unit's prefix here so an operator sees it (pending
        // gauge) instead of silently dropping data.
        spdlog::error("outbox {} entry {}: {}", owned[u], entry.elements[0].str,
                      decoded.status().ToString());
        break;
      }
      Entry e{entry.elements[0].str, records.size(), records.size() + decoded->size()};
      for (auto& r : *decoded) records.push_back(std::move(r));
      entries[u].push_back(std::move(e));
    }
  }
  if (records.empty()) return 0;
  std::vector<absl::Status> delivered = publisher_.PublishBatch(records, options_.publish_timeout);

  // Delete each unit's prefix of entries whose records were all delivered.
  // Plain XDELs, not checked against the lease: an entry Kafka acknowledged
  // may go whoever holds the unit now (a relay that lost the lease during
  // the round only makes the new holder's copy of it a duplicate, which
  // consumers drop), and a script per unit and round cost Redis more than
  // the delete itself. The lease is renewed at the start of a round once
  // half of it has passed.
  std::vector<RedisArgs> deletes;
  std::vector<size_t> records_deleted;
  bool any_failure = false;
  for (size_t u = 0; u < owned.size(); ++u) {
    RedisArgs args{"XDEL", StreamKey(owned[u])};
    size_t n = 0;
    for (const Entry& e : entries[u]) {
      bool ok = std::all_of(delivered.begin() + static_cast<long>(e.first),
                            delivered.begin() + static_cast<long>(e.end),
                            [](const absl::Status& s) { return s.ok(); });
      if (!ok) {
        any_failure = true;
        break;
      }
      args.push_back(e.id);
      n += e.end - e.first;
    }
    if (args.size() > 2) {
      deletes.push_back(std::move(args));
      records_deleted.push_back(n);
    }
  }
  int deleted = 0;
  if (!deletes.empty()) {
    auto results = redis_.Pipeline(deletes);
    if (!results.ok()) return results.status();
    // Entries another relay deleted first (it took the lease over and
    // published them again) are its to count.
    for (size_t k = 0; k < results->size(); ++k) {
      if ((*results)[k].integer > 0) deleted += static_cast<int>(records_deleted[k]);
    }
  }
  Relay().published.Increment(deleted);
  if (any_failure) {
    for (const auto& s : delivered) {
      if (!s.ok()) return s;
    }
  }
  // Units that returned a full read have more: look again next round.
  for (size_t u = 0; u < owned.size(); ++u) {
    if (static_cast<int>(entries[u].size()) == per_unit) Notify(owned[u]);
  }
  return deleted;
}

void OutboxRelay::Loop() {
  BecomeBackgroundThread("outbox-relay");
  absl::Time next_scan = absl::InfinitePast();
  while (true) {
    std::vector<std::string> units;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, absl::ToChronoTime(next_scan),
                     [this] { return stop_ || !notified_.empty(); });
      if (stop_) return;
      units.assign(notified_.begin(), notified_.end());
      notified_.clear();
    }
    if (units.empty() || absl::Now() >= next_scan) {
      units.clear();
      next_scan = absl::Now() + options_.scan_interval;
    }
    auto result = RunRound(units);
    if (!result.ok()) {
      Relay().failed_rounds.Increment();
      spdlog::warn("outbox relay {}: {}", options_.service, result.status().ToString());
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.error_backoff),
                   [this] { return stop_; });
      // Re-check every unit after a failure: some entries are still waiting.
      next_scan = absl::Now();
    }
  }
}

}  // namespace gridbridge::platform
