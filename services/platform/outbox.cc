#include "outbox.h"

#include "absl/strings/numbers.h"
#include "cloud_events.h"
#include "metrics.h"
#include "redis_keys.h"
#include "spdlog/spdlog.h"

namespace gridbridge::platform {

const char kOutboxLua[] = R"lua(
local function gb_outbox_xadd(stream, first)
  local n = tonumber(ARGV[first + 3])
  local fields = {'t', ARGV[first], 'k', ARGV[first + 1], 'v', ARGV[first + 2]}
  for i = 0, n - 1 do
    fields[#fields + 1] = 'h:' .. ARGV[first + 4 + 2 * i]
    fields[#fields + 1] = ARGV[first + 5 + 2 * i]
  end
  redis.call('XADD', stream, '*', unpack(fields))
  return first + 4 + 2 * n
end
)lua";

namespace {

// Takes the lease if free or already ours; renews it. 1 if held, else 0.
const RedisScript& AcquireLeaseScript() {
  static const RedisScript script(R"lua(
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
)lua");
  return script;
}

// Deletes delivered entries only while the lease is still ours. Returns
// the number deleted, or -1 if the lease was lost (delete nothing: the new
// holder republishes, consumers dedupe).
const RedisScript& DeleteDeliveredScript() {
  static const RedisScript script(R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local n = 0
for i = 3, #ARGV do n = n + redis.call('XDEL', KEYS[1], ARGV[i]) end
return n
)lua");
  return script;
}

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
                            .Help("Outbox records waiting, as of the last scan")
                            .Register(Metrics())
                            .Add({})};
  return m;
}

}  // namespace

RedisArgs OutboxLuaArgs(const KafkaRecord& r) {
  RedisArgs args{r.topic, r.key, r.value, std::to_string(r.headers.size())};
  for (const auto& [k, v] : r.headers) {
    args.push_back(k);
    args.push_back(v);
  }
  return args;
}

absl::StatusOr<KafkaRecord> DecodeOutboxFields(const RedisReply& fields) {
  if (fields.type != RedisReply::Type::kArray || fields.elements.size() % 2 != 0) {
    return absl::DataLossError("outbox entry is not a field list");
  }
  KafkaRecord r;
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
      r.headers.emplace_back(name.substr(2), value);
    }
  }
  if (!has_topic || r.topic.empty()) return absl::DataLossError("outbox entry has no topic");
  return r;
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
  for (const auto& unit : leased_) releases.push_back({{LeaseKey(unit)}, {token_}});
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
  const std::string lease_ms = std::to_string(absl::ToInt64Milliseconds(options_.lease));
  std::vector<std::pair<RedisArgs, RedisArgs>> lease_calls;
  for (const auto& unit : units) lease_calls.push_back({{LeaseKey(unit)}, {token_, lease_ms}});
  auto leases = redis_.EvalBatch(AcquireLeaseScript(), lease_calls);
  if (!leases.ok()) return leases.status();

  std::vector<std::string> owned;
  std::vector<RedisArgs> reads;
  int per_unit = options_.batch_per_unit;
  for (size_t i = 0; i < units.size(); ++i) {
    if ((*leases)[i].integer != 1) continue;
    owned.push_back(units[i]);
    leased_.insert(units[i]);
    reads.push_back({"XRANGE", StreamKey(units[i]), "-", "+", "COUNT", std::to_string(per_unit)});
    if (static_cast<int>(owned.size()) * per_unit >= options_.max_records_per_round) break;
  }
  auto ranges = redis_.Pipeline(reads);
  if (!ranges.ok()) return ranges.status();

  std::vector<KafkaRecord> records;
  std::vector<std::vector<std::string>> ids(owned.size());
  std::vector<size_t> first(owned.size());
  for (size_t u = 0; u < owned.size(); ++u) {
    first[u] = records.size();
    for (const auto& entry : (*ranges)[u].elements) {
      if (entry.elements.size() != 2) continue;
      auto record = DecodeOutboxFields(entry.elements[1]);
      if (!record.ok()) {
        // A corrupt entry can never be published; leave it in place and
        // stop this unit's prefix here so an operator sees it (pending
        // gauge) instead of silently dropping data.
        spdlog::error("outbox {} entry {}: {}", owned[u], entry.elements[0].str,
                      record.status().ToString());
        break;
      }
      records.push_back(std::move(*record));
      ids[u].push_back(entry.elements[0].str);
    }
  }
  if (records.empty()) return 0;
  std::vector<absl::Status> delivered = publisher_.PublishBatch(records, options_.publish_timeout);

  std::vector<std::pair<RedisArgs, RedisArgs>> deletes;
  bool any_failure = false;
  for (size_t u = 0; u < owned.size(); ++u) {
    RedisArgs args{token_, lease_ms};
    for (size_t i = 0; i < ids[u].size(); ++i) {
      if (!delivered[first[u] + i].ok()) {
        any_failure = true;
        break;
      }
      args.push_back(ids[u][i]);
    }
    if (args.size() > 2) deletes.push_back({{StreamKey(owned[u]), LeaseKey(owned[u])}, args});
  }
  int deleted = 0;
  if (!deletes.empty()) {
    auto results = redis_.EvalBatch(DeleteDeliveredScript(), deletes);
    if (!results.ok()) return results.status();
    for (const auto& r : *results) deleted += r.integer > 0 ? static_cast<int>(r.integer) : 0;
  }
  Relay().published.Increment(deleted);
  if (any_failure) {
    for (const auto& s : delivered) {
      if (!s.ok()) return s;
    }
  }
  // Units that returned a full batch have more: look again next round.
  for (size_t u = 0; u < owned.size(); ++u) {
    if (static_cast<int>(ids[u].size()) == per_unit) Notify(owned[u]);
  }
  return deleted;
}

void OutboxRelay::Loop() {
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
