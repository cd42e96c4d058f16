#include "grid_transaction.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <type_traits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "grid_transaction_columnar.h"
#include "metrics.h"
#include "outbox.h"
#include "prometheus/counter.h"

namespace gridbridge::platform {
namespace {

constexpr long long kSecondsPerDay = 86400;

// Transactions per script run: bounds the run's time inside Redis (no other
// client is served meanwhile) and the size of its outbox entry.
constexpr int kMaxTransactionsPerRun = kMaxRecordsPerOutboxEntry;

// Script runs by form, for the dashboards: many columnar runs sent again
// mean many retried requests or contended records in batches.
struct RunCounters {
  prometheus::Counter& general;
  prometheus::Counter& columnar;
  prometheus::Counter& columnar_retried;
};

RunCounters& Runs() {
  static auto& family = prometheus::BuildCounter()
                            .Name("gridbridge_grid_transaction_runs_total")
                            .Help(
                                "Commit script runs by form (general, columnar, and columnar "
                                "runs sent again the general way: columnar_retried)")
                            .Register(Metrics());
  static RunCounters counters{family.Add({{"form", "general"}}), family.Add({{"form", "columnar"}}),
                              family.Add({{"form", "columnar_retried"}})};
  return counters;
}

}  // namespace

// ARGV layout: [1] number of transactions, [2] the path: '0' one by one,
// '1' batched checks, '2' batched checks and sorted-set adds (see below),
// '3' columnar (see ColumnarRun: a layout of its own after [2]); for the
// first three, then per transaction:
//   request field, response, current bucket key index, previous bucket key
//   index, current bucket's time to live (s), guard count, op arg count,
//   guards (key index, version)..., ops...
// where each op is one of
//   R ki version payload | Z ki score member | T ki max | D ki member |
//   C ki field delta |
//   P ki frame (ki unused: the frame goes to the outbox, KEYS[1])
// The reply has one element per transaction: {'COMMITTED'},
// {'DUPLICATE', response} or {'CONFLICT', key}.
//
// Every redis.call costs Redis several microseconds on top of the command
// itself, so a run whose transactions cannot see each other (the builder
// checked: no record, guarded or expiring key and no request field in two
// of them, one request bucket) reads its request log with one HMGET per
// bucket and its new-record guards with one EXISTS, and remembers its
// responses with one HSET; with only R Z C P ops it also adds its
// sorted-set members with one ZADD per key. If EXISTS finds any of the new
// records (a retry, a race), nothing has been written yet and the run goes
// the one-by-one way, which decides exactly.
const RedisScript& GridTransaction::Script() {
  static const RedisScript script(std::string(kOutboxLua) + R"lua(
-- Redis protects the global table, which makes every use of a global a
-- lookup through it: locals cut the script's own time by about a fifth.
local KEYS, ARGV, tonumber, pairs, ipairs, unpack = KEYS, ARGV, tonumber, pairs, ipairs, unpack
local call = redis.call
local n = tonumber(ARGV[1])
local out, frames, sums, sum_order, expire, trimmed = {}, {}, {}, {}, {}, {}

-- Applies the ops in ARGV[j .. stop - 1]; `zadds` (batched path) collects
-- sorted-set members per key instead of adding them one by one.
local function apply(j, stop, zadds, zorder)
  while j < stop do
    local op, key = ARGV[j], KEYS[tonumber(ARGV[j + 1])]
    if op == 'R' then
      call('HSET', key, 'v', ARGV[j + 2], 'p', ARGV[j + 3]); j = j + 4
    elseif op == 'Z' then
      if zadds then
        local z = zadds[key]
        if not z then z = {}; zadds[key] = z; zorder[#zorder + 1] = key end
        z[#z + 1] = ARGV[j + 2]; z[#z + 1] = ARGV[j + 3]
      else
        call('ZADD', key, ARGV[j + 2], ARGV[j + 3])
      end
      j = j + 4
    elseif op == 'T' then
      -- Trims repeat in every transaction of a run (the same window):
      -- once per key and bound is enough.
      local trim = key .. ' ' .. ARGV[j + 2]
      if not trimmed[trim] then
        trimmed[trim] = true
        call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[j + 2])
      end
      j = j + 3
    elseif op == 'X' then
      call('EXPIRE', key, ARGV[j + 2]); j = j + 3
    elseif op == 'D' then
      call('ZREM', key, ARGV[j + 2]); j = j + 3
    elseif op == 'C' then
      local id = ARGV[j + 1] .. ' ' .. ARGV[j + 2]
      if not sums[id] then
        sums[id] = 0
        sum_order[#sum_order + 1] = {key, ARGV[j + 2], id}
      end
      sums[id] = sums[id] + tonumber(ARGV[j + 3]); j = j + 4
    elseif op == 'P' then
      frames[#frames + 1] = ARGV[j + 2]; j = j + 3
    else
      return false, op
    end
  end
  return true
end

-- The first failing guard's key in ARGV[first .. stop - 1], or nil;
-- `skip_new` leaves out version-0 guards (known to hold).
local function failed_guard(first, stop, skip_new)
  for g = first, stop - 1, 2 do
    local want = ARGV[g + 1]
    if not (skip_new and want == '0') then
      local key = KEYS[tonumber(ARGV[g])]
      if (call('HGET', key, 'v') or '0') ~= want then return key end
    end
  end
  return nil
end

local function one_by_one()
  local i = 3
  for t = 1, n do
    local field, response = ARGV[i], ARGV[i + 1]
    local log_now, log_prev = KEYS[tonumber(ARGV[i + 2])], KEYS[tonumber(ARGV[i + 3])]
    local first_guard = i + 7
    local first_op = first_guard + 2 * tonumber(ARGV[i + 5])
    local next_txn = first_op + tonumber(ARGV[i + 6])
    local verdict
    if field ~= '' then
      local prior = call('HGET', log_now, field) or call('HGET', log_prev, field)
      if prior then verdict = {'DUPLICATE', prior} end
    end
    if not verdict then
      local key = failed_guard(first_guard, first_op, false)
      if key then verdict = {'CONFLICT', key} end
    end
    if not verdict then
      local ok, op = apply(first_op, next_txn)
      if not ok then return redis.error_reply('grid transaction: unknown op ' .. tostring(op)) end
      if field ~= '' then
        call('HSET', log_now, field, response)
        expire[log_now] = ARGV[i + 4]
      end
      verdict = {'COMMITTED'}
    end
    out[t] = verdict
    i = next_txn
  end
end

-- The batched path (`group`: one ZADD per key); false if a new record
-- already exists (nothing done).
local function batched(group)
  local starts, fields, field_txn, new_keys = {}, {}, {}, {}
  local i = 3
  for t = 1, n do
    starts[t] = i
    if ARGV[i] ~= '' then fields[#fields + 1] = ARGV[i]; field_txn[#fields] = t end
    local first_guard = i + 7
    local first_op = first_guard + 2 * tonumber(ARGV[i + 5])
    for g = first_guard, first_op - 1, 2 do
      if ARGV[g + 1] == '0' then new_keys[#new_keys + 1] = KEYS[tonumber(ARGV[g])] end
    end
    i = first_op + tonumber(ARGV[i + 6])
  end
  starts[n + 1] = i
  if #new_keys > 0 and call('EXISTS', unpack(new_keys)) > 0 then return false end
  local log_now, log_prev = KEYS[tonumber(ARGV[5])], KEYS[tonumber(ARGV[6])]
  local prior = {}
  if #fields > 0 then
    local now, prev = call('HMGET', log_now, unpack(fields)), call('HMGET', log_prev, unpack(fields))
    for k = 1, #fields do prior[field_txn[k]] = now[k] or prev[k] end
  end
  local zadds, zorder, remembered = {}, {}, {}
  for t = 1, n do
    i = starts[t]
    local first_guard = i + 7
    local first_op = first_guard + 2 * tonumber(ARGV[i + 5])
    if prior[t] then
      out[t] = {'DUPLICATE', prior[t]}
    else
      local key = failed_guard(first_guard, first_op, true)
      if key then
        out[t] = {'CONFLICT', key}
      else
        apply(first_op, starts[t + 1], group and zadds or nil, zorder)
        if ARGV[i] ~= '' then
          remembered[#remembered + 1] = ARGV[i]
          remembered[#remembered + 1] = ARGV[i + 1]
          expire[log_now] = ARGV[i + 4]
        end
        out[t] = {'COMMITTED'}
      end
    end
  end
  for _, key in ipairs(zorder) do call('ZADD', key, unpack(zadds[key])) end
  if #remembered > 0 then call('HSET', log_now, unpack(remembered)) end
  return true
end

-- The columnar path (ColumnarRun lays out its arguments): a run whose
-- transactions can only all commit is checked, then written with one
-- command per key and kind, its arguments ranges of ARGV. Any retry or
-- failed guard answers 'SLOW' with nothing written: the client sends the
-- run again the general way, which decides each transaction exactly.
local function columnar()
  local nf, ne, ng, nr, nz, nc, nt = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]),
    tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[11])
  local fields, responses = 12, 12 + nf
  local j = responses + 2 * nf
  if ne > 0 and call('EXISTS', unpack(KEYS, 4, 3 + ne)) > 0 then return false end
  if nf > 0 then
    local now = call('HMGET', KEYS[2], unpack(ARGV, fields, responses - 1))
    local prev = call('HMGET', KEYS[3], unpack(ARGV, fields, responses - 1))
    for k = 1, nf do if now[k] or prev[k] then return false end end
  end
  for g = j, j + 2 * ng - 1, 2 do
    if (call('HGET', KEYS[tonumber(ARGV[g])], 'v') or '0') ~= ARGV[g + 1] then return false end
  end
  j = j + 2 * ng
  for r = j, j + 3 * nr - 1, 3 do
    call('HSET', KEYS[tonumber(ARGV[r])], 'v', ARGV[r + 1], 'p', ARGV[r + 2])
  end
  j = j + 3 * nr
  for _ = 1, nz do
    local m = tonumber(ARGV[j + 1])
    call('ZADD', KEYS[tonumber(ARGV[j])], unpack(ARGV, j + 2, j + 1 + 2 * m))
    j = j + 2 + 2 * m
  end
  for t = j, j + 2 * nt - 1, 2 do
    call('ZREMRANGEBYSCORE', KEYS[tonumber(ARGV[t])], '-inf', '(' .. ARGV[t + 1])
  end
  j = j + 2 * nt
  for c = j, j + 3 * nc - 1, 3 do call('HINCRBY', KEYS[tonumber(ARGV[c])], ARGV[c + 1], ARGV[c + 2]) end
  if nf > 0 then
    call('HSET', KEYS[2], unpack(ARGV, responses, responses + 2 * nf - 1))
    call('EXPIRE', KEYS[2], ARGV[3])
  end
  if ARGV[10] ~= '' then call('XADD', KEYS[1], '*', 'b', ARGV[10]) end
  return true
end

if ARGV[2] == '3' then
  if columnar() then return n end
  return 'SLOW'
end
if not (ARGV[2] ~= '0' and batched(ARGV[2] == '2')) then
  local failure = one_by_one()
  if failure then return failure end
end
for _, c in ipairs(sum_order) do
  if sums[c[3]] ~= 0 then call('HINCRBY', c[1], c[2], sums[c[3]]) end
end
for key, ttl in pairs(expire) do call('EXPIRE', key, ttl) end
gb_outbox_append(KEYS[1], frames)
return out
)lua");
  return script;
}

GridTransaction::GridTransaction(const GridKeys& keys, std::string request_field,
                                 std::string response, absl::Time now)
    : request_field_(std::move(request_field)), response_(std::move(response)) {
  const long long day = absl::ToUnixSeconds(now) / kSecondsPerDay;
  auto [current, previous] = RequestBuckets(keys, now);
  // Room for a typical transaction's keys and ops without growing.
  keys_.reserve(8);
  ops_.reserve(8);
  keys_.push_back(keys.Outbox());
  keys_.push_back(std::move(current));
  keys_.push_back(std::move(previous));
  // The current bucket lives to the end of the next day, when it has
  // become the previous bucket. Relative (EXPIRE): the service's clock, not
  // Redis's, decides the day, and tests run services on injected clocks.
  bucket_ttl_seconds_ = (day + 2) * kSecondsPerDay - absl::ToUnixSeconds(now);
}

std::pair<std::string, std::string> GridTransaction::RequestBuckets(const GridKeys& keys,
                                                                    absl::Time now) {
  const long long day = absl::ToUnixSeconds(now) / kSecondsPerDay;
  return {keys.Key("requests", std::to_string(day)), keys.Key("requests", std::to_string(day - 1))};
}

int GridTransaction::KeyIndex(const std::string& key) {
  auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it != keys_.end()) return static_cast<int>(it - keys_.begin());
  keys_.push_back(key);
  return static_cast<int>(keys_.size()) - 1;
}

GridTransaction& GridTransaction::ExpectVersion(const std::string& key, long long version) {
  guards_.emplace_back(KeyIndex(key), version);
  return *this;
}

GridTransaction& GridTransaction::PutRecord(const std::string& key, long long version,
                                            std::string payload) {
  ops_.push_back({'R', KeyIndex(key), std::to_string(version), std::move(payload)});
  return *this;
}

GridTransaction& GridTransaction::ZAdd(const std::string& key, long long score,
                                       std::string member) {
  ops_.push_back({'Z', KeyIndex(key), std::to_string(score), std::move(member)});
  return *this;
}

GridTransaction& GridTransaction::ZRemoveBelow(const std::string& key, long long max_score) {
  ops_.push_back({'T', KeyIndex(key), std::to_string(max_score), ""});
  return *this;
}

GridTransaction& GridTransaction::Expire(const std::string& key, absl::Duration ttl) {
  const long long seconds = std::max<long long>(1, absl::ToInt64Seconds(ttl));
  ops_.push_back({'X', KeyIndex(key), std::to_string(seconds), ""});
  return *this;
}

GridTransaction& GridTransaction::ZRemove(const std::string& key, const std::string& member) {
  ops_.push_back({'D', KeyIndex(key), member, ""});
  return *this;
}

GridTransaction& GridTransaction::HashIncrement(const std::string& key, const std::string& field,
                                                long long delta) {
  if (delta != 0) ops_.push_back({'C', KeyIndex(key), field, std::to_string(delta)});
  return *this;
}

GridTransaction& GridTransaction::Publish(const KafkaRecord& record) {
  return PublishFrame(OutboxFrame(record));
}

GridTransaction& GridTransaction::PublishFrame(std::string frame) {
  ops_.push_back({'P', 0, std::move(frame), ""});
  ++publishes_;
  return *this;
}

// KEYS and ARGV of one script run over several transactions of one grid:
// merges their key lists and rewrites their key indexes.
class GridBatchBuilder {
 public:
  // Ops with one argument after the key index (the others have two).
  static bool ThreeArgs(char code) {
    return code == 'T' || code == 'D' || code == 'P' || code == 'X';
  }

  explicit GridBatchBuilder(const std::string& outbox) : keys_{outbox} {
    args_.emplace_back("0");
    args_.emplace_back("1");
  }

  // Adds `txn` (its keys of the builder's grid: CheckOneGrid). `Txn` is
  // GridTransaction (its strings are moved into the command) or const
  // GridTransaction (copied).
  template <typename Txn>
  void Add(Txn& txn) {
    auto take = [](auto& bytes) -> std::string {
      if constexpr (std::is_const_v<Txn>) {
        return bytes;
      } else {
        return std::move(bytes);
      }
    };
    std::vector<int> number(txn.keys_.size());
    std::vector<std::string> index(txn.keys_.size());
    for (size_t k = 0; k < txn.keys_.size(); ++k) {
      number[k] = Index(txn.keys_[k]);
      index[k] = std::to_string(number[k]);
    }
    size_t op_args = 0;
    for (const auto& op : txn.ops_) op_args += ThreeArgs(op.code) ? 3 : 4;
    if (batchable_) batchable_ = MayBatch(txn, number);
    args_.push_back(take(txn.request_field_));
    args_.push_back(take(txn.response_));
    args_.insert(args_.end(), {index[1], index[2], std::to_string(txn.bucket_ttl_seconds_),
                               std::to_string(txn.guards_.size()), std::to_string(op_args)});
    for (const auto& [key, version] : txn.guards_) {
      args_.push_back(index[key]);
      args_.push_back(std::to_string(version));
    }
    for (auto& op : txn.ops_) {
      args_.push_back(std::string(1, op.code));
      args_.push_back(index[op.key]);
      args_.push_back(take(op.a));
      if (!ThreeArgs(op.code)) args_.push_back(take(op.b));
    }
    ++count_;
  }

  // The EVALSHA command of `script` over the transactions added (their
  // arguments moved, not copied).
  RedisArgs Take(const RedisScript& script) {
    args_[0] = std::to_string(count_);
    // A lone transaction has nothing to check together: the batched path
    // would only add its tables. (A literal trips g++ 12 -Wrestrict.)
    const bool batched = batchable_ && count_ > 1;
    args_[1] = std::string(1, !batched ? '0' : group_zadds_ ? '2' : '1');
    RedisArgs command;
    command.reserve(3 + keys_.size() + args_.size());
    command.insert(command.end(), {"EVALSHA", script.sha1, std::to_string(keys_.size())});
    for (auto& k : keys_) command.push_back(std::move(k));
    for (auto& a : args_) command.push_back(std::move(a));
    return command;
  }

 private:
  // The key's 1-based number in KEYS (Lua's indexing).
  int Index(const std::string& key) {
    auto it = index_.find(key);
    if (it != index_.end()) return it->second;
    const int number = static_cast<int>(keys_.size()) + 1;
    index_.emplace(keys_.emplace_back(key), number);
    return number;
  }

  // Whether `txn` keeps the run batchable (the script's batched path): no
  // record, guarded or expiring key and no request field of an earlier
  // transaction, and the same request bucket as the others. Only R Z C P
  // ops keep its sorted-set adds groupable (a trim, a removal or an expiry
  // must see the adds before it). `number` maps the transaction's key
  // indexes to KEYS numbers.
  bool MayBatch(const GridTransaction& txn, const std::vector<int>& number) {
    for (const auto& op : txn.ops_) {
      if (op.code != 'R' && op.code != 'Z' && op.code != 'C' && op.code != 'P') {
        group_zadds_ = false;
      }
      // One ZADD of a key's members (kMaxUnpackedValues).
      if (op.code == 'Z' && 2 * ++members_[number[op.key]] > static_cast<int>(kMaxUnpackedValues)) {
        group_zadds_ = false;
      }
    }
    if (bucket_ == 0) bucket_ = number[1];
    if (number[1] != bucket_) return false;
    if (!txn.request_field_.empty() && !fields_.insert(txn.request_field_).second) return false;
    // A transaction may guard and write the same key; another may not.
    const int me = count_ + 1;
    auto claim = [&](int key) {
      if (static_cast<size_t>(key) >= owner_.size()) owner_.resize(key + 1, 0);
      if (owner_[key] != 0 && owner_[key] != me) return false;
      owner_[key] = me;
      return true;
    };
    for (const auto& [key, version] : txn.guards_) {
      if (!claim(number[key])) return false;
    }
    for (const auto& op : txn.ops_) {
      if ((op.code == 'R' || op.code == 'X') && !claim(number[op.key])) return false;
    }
    return true;
  }

  // Keys in KEYS order; a deque, so that index_'s views stay valid.
  std::deque<std::string> keys_;
  RedisArgs args_;
  absl::flat_hash_map<std::string_view, int> index_{{keys_.front(), 1}};
  bool batchable_ = true;
  bool group_zadds_ = true;
  int bucket_ = 0;  // KEYS number of the run's request bucket
  // Request fields seen and, per KEYS number, the transaction guarding or
  // writing it.
  absl::flat_hash_set<std::string> fields_;
  std::vector<int> owner_;
  absl::flat_hash_map<int, int> members_;  // per KEYS number: sorted-set members added
  int count_ = 0;
};

namespace {

absl::StatusOr<GridTransaction::Outcome> ParseVerdict(const RedisReply& r) {
  using Outcome = GridTransaction::Outcome;
  if (r.type != RedisReply::Type::kArray || r.elements.empty()) {
    return absl::InternalError("grid transaction: unexpected reply");
  }
  Outcome out;
  const std::string& kind = r.elements[0].str;
  if (kind == "COMMITTED") return out;
  if (kind == "DUPLICATE" && r.elements.size() == 2) {
    out.kind = Outcome::Kind::kDuplicate;
    out.prior_response = r.elements[1].str;
    return out;
  }
  if (kind == "CONFLICT" && r.elements.size() == 2) {
    out.kind = Outcome::Kind::kConflict;
    out.conflict_key = r.elements[1].str;
    return out;
  }
  return absl::InternalError("grid transaction: unexpected reply " + kind);
}

// The outcomes of `run`'s transactions from its script run's `reply`: the
// columnar path answers how many committed (all of them).
void SetOutcomes(const RedisReply& reply, const std::vector<size_t>& run, bool columnar,
                 GridTransaction::Outcomes& out) {
  for (size_t k = 0; k < run.size(); ++k) {
    auto& outcome = out[run[k]];
    if (reply.is_error()) {
      outcome = absl::InternalError("grid transaction failed: " + reply.str);
    } else if (columnar) {
      if (reply.type == RedisReply::Type::kInteger &&
          reply.integer == static_cast<long long>(run.size())) {
        outcome = GridTransaction::Outcome{};
      } else {
        outcome = absl::InternalError("grid transaction: unexpected reply to a columnar run");
      }
    } else if (reply.type != RedisReply::Type::kArray || reply.elements.size() != run.size()) {
      outcome = absl::InternalError("grid transaction: reply does not match the batch");
    } else {
      outcome = ParseVerdict(reply.elements[k]);
    }
  }
}

}  // namespace

absl::Status GridTransaction::CheckOneGrid(const GridTransaction& txn) {
  const std::string_view tag = HashTagOf(txn.outbox_key());
  // A key that starts with the outbox key's "{<tag>}" has its tag (the
  // first '}' is the same one): GridKeys builds them all so, and a prefix
  // compare is cheaper than finding each key's tag (~1 % of a decision).
  const std::string_view braced = tag.data() > txn.outbox_key().data() && tag.data()[-1] == '{'
                                      ? std::string_view(tag.data() - 1, tag.size() + 2)
                                      : std::string_view();
  for (const auto& k : txn.keys_) {
    if (!braced.empty() && std::string_view(k).starts_with(braced)) continue;
    if (HashTagOf(k) != tag) {
      return absl::InvalidArgumentError(
          absl::StrCat("grid transaction spans hash tags: ", txn.outbox_key(), " and ", k));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<GridTransaction::Outcomes> GridTransaction::CommitAll(
    RedisClient& redis, const std::vector<GridTransaction>& txns) {
  std::vector<const GridTransaction*> pointers;
  pointers.reserve(txns.size());
  for (const auto& t : txns) pointers.push_back(&t);
  return CommitRuns(redis, pointers);
}

absl::StatusOr<GridTransaction::Outcomes> GridTransaction::CommitAll(
    RedisClient& redis, std::vector<GridTransaction>&& txns) {
  return Prepare(txns).Send(redis);
}

absl::StatusOr<GridTransaction::Outcome> GridTransaction::Commit(RedisClient& redis,
                                                                 const GridTransaction& txn) {
  auto all = CommitRuns(redis, std::vector<const GridTransaction*>{&txn});
  if (!all.ok()) return all.status();
  return std::move(all->front());
}

// A commit's script runs: per grid (outbox) in the given order, each closed
// at the bounds of a script run, with their commands. Txn: GridTransaction
// (its bytes moved into the commands) or const GridTransaction (copied).
template <typename Txn>
class GridTransaction::ScriptRuns {
 public:
  explicit ScriptRuns(const std::vector<Txn*>& txns);
  // `leading` go first in the same round trip, `trailing` last (see
  // PreparedCommit::Send).
  absl::StatusOr<Outcomes> Send(RedisClient& redis, std::vector<RedisArgs> leading = {},
                                const std::vector<RedisArgs>& trailing = {},
                                std::vector<RedisReply>* trailing_replies = nullptr);

 private:
  // The general form of a run (moving the transactions' bytes if they are
  // not const).
  RedisArgs General(const std::vector<size_t>& run) const;

  std::vector<Txn*> txns_;
  Outcomes out_;
  std::vector<std::vector<size_t>> runs_;
  // A grid's only run may go columnar: when it answers SLOW and goes again
  // the general way, no later run of the grid has overtaken it.
  std::vector<std::optional<ColumnarRun>> columnar_;
  std::vector<RedisArgs> calls_;  // per run
};

template <typename Txn>
GridTransaction::ScriptRuns<Txn>::ScriptRuns(const std::vector<Txn*>& txns)
    : txns_(txns), out_(txns.size(), absl::InternalError("grid transaction: not run")) {
  // Keyed by views of the transactions' own outbox keys, which outlive this.
  absl::flat_hash_map<std::string_view, std::pair<size_t, int>> open;  // outbox -> run, its events
  absl::flat_hash_map<std::string_view, int> runs_of_grid;
  for (size_t i = 0; i < txns_.size(); ++i) {
    if (absl::Status s = CheckOneGrid(*txns_[i]); !s.ok()) {
      out_[i] = s;
      continue;
    }
    const std::string& grid = txns_[i]->outbox_key();
    auto [it, fresh] = open.try_emplace(grid, runs_.size(), 0);
    if (fresh) {
      runs_.emplace_back();
      ++runs_of_grid[grid];
    }
    runs_[it->second.first].push_back(i);
    it->second.second += txns_[i]->publishes_;
    if (runs_[it->second.first].size() >= static_cast<size_t>(kMaxTransactionsPerRun) ||
        it->second.second >= kMaxRecordsPerOutboxEntry) {
      open.erase(it);
    }
  }
  for (const auto& run : runs_) {
    std::optional<ColumnarRun>& form = columnar_.emplace_back();
    if (runs_of_grid[txns_[run.front()]->outbox_key()] == 1) {
      std::vector<Txn*> members;
      for (size_t i : run) members.push_back(txns_[i]);
      form = ColumnarRun::Build(Script(), members);
    }
    (form ? Runs().columnar : Runs().general).Increment();
    calls_.push_back(form ? std::move(form->command()) : General(run));
  }
}

template <typename Txn>
RedisArgs GridTransaction::ScriptRuns<Txn>::General(const std::vector<size_t>& run) const {
  GridBatchBuilder builder(txns_[run.front()]->outbox_key());
  for (size_t i : run) builder.Add(*txns_[i]);
  return builder.Take(Script());
}

template <typename Txn>
absl::StatusOr<GridTransaction::Outcomes> GridTransaction::ScriptRuns<Txn>::Send(
    RedisClient& redis, std::vector<RedisArgs> leading, const std::vector<RedisArgs>& trailing,
    std::vector<RedisReply>* trailing_replies) {
  const size_t lead = leading.size();
  if (runs_.empty() && lead == 0 && trailing.empty()) return std::move(out_);
  absl::StatusOr<std::vector<RedisReply>> replies;
  std::vector<RedisArgs> sent;
  if (lead == 0 && trailing.empty()) {
    replies = redis.EvalCommands(Script(), calls_);  // the usual commit: nothing around it
  } else {
    // The runs' commands move behind the leading ones (no copy of their
    // bytes) and come back for the runs a columnar form gives back.
    sent = std::move(leading);
    sent.reserve(lead + calls_.size() + trailing.size());
    for (auto& call : calls_) sent.push_back(std::move(call));
    sent.insert(sent.end(), trailing.begin(), trailing.end());
    replies = redis.EvalCommands(Script(), sent);
    for (size_t r = 0; r < calls_.size(); ++r) calls_[r] = std::move(sent[lead + r]);
  }
  if (!replies.ok()) return replies.status();
  for (size_t c = 0; c < lead; ++c) {
    // The runs after it have run: like a transport failure, the caller
    // learns only that the whole did not succeed.
    if ((*replies)[c].is_error()) {
      return absl::InternalError(
          absl::StrCat("redis: ", sent[c].empty() ? "" : sent[c][0], ": ", (*replies)[c].str));
    }
  }
  auto take_trailing = [&](std::vector<RedisReply>& from) {
    if (trailing_replies == nullptr) return;
    trailing_replies->assign(
        std::make_move_iterator(from.end() - static_cast<long>(trailing.size())),
        std::make_move_iterator(from.end()));
  };
  take_trailing(*replies);
  std::vector<size_t> slow;  // runs to send again the general way
  for (size_t r = 0; r < runs_.size(); ++r) {
    const RedisReply& reply = (*replies)[lead + r];
    if (columnar_[r] && reply.type == RedisReply::Type::kString &&
        reply.str == ColumnarRun::kSlow) {
      columnar_[r]->GiveBack(calls_[r]);
      slow.push_back(r);
    } else {
      SetOutcomes(reply, runs_[r], columnar_[r].has_value(), out_);
    }
  }
  if (slow.empty()) return std::move(out_);
  std::vector<RedisArgs> again;
  Runs().columnar_retried.Increment(static_cast<double>(slow.size()));
  for (size_t r : slow) again.push_back(General(runs_[r]));
  again.insert(again.end(), trailing.begin(), trailing.end());  // after these runs too
  replies = redis.EvalCommands(Script(), again);
  if (!replies.ok()) return replies.status();
  take_trailing(*replies);
  for (size_t k = 0; k < slow.size(); ++k) {
    SetOutcomes((*replies)[k], runs_[slow[k]], /*columnar=*/false, out_);
  }
  return std::move(out_);
}

template <typename Txn>
absl::StatusOr<GridTransaction::Outcomes> GridTransaction::CommitRuns(
    RedisClient& redis, const std::vector<Txn*>& txns) {
  return ScriptRuns<Txn>(txns).Send(redis);
}

GridTransaction::PreparedCommit::PreparedCommit(std::unique_ptr<ScriptRuns<GridTransaction>> runs)
    : runs_(std::move(runs)) {}
GridTransaction::PreparedCommit::PreparedCommit(PreparedCommit&&) noexcept = default;
GridTransaction::PreparedCommit& GridTransaction::PreparedCommit::operator=(
    PreparedCommit&&) noexcept = default;
GridTransaction::PreparedCommit::~PreparedCommit() = default;

absl::StatusOr<GridTransaction::Outcomes> GridTransaction::PreparedCommit::Send(
    RedisClient& redis, std::vector<RedisArgs> leading, const std::vector<RedisArgs>& trailing,
    std::vector<RedisReply>* trailing_replies) {
  if (!runs_)
    return absl::FailedPreconditionError("grid transaction: a prepared commit sent twice");
  auto out = runs_->Send(redis, std::move(leading), trailing, trailing_replies);
  runs_.reset();
  return out;
}

GridTransaction::PreparedCommit GridTransaction::Prepare(std::vector<GridTransaction>& txns) {
  std::vector<GridTransaction*> pointers;
  pointers.reserve(txns.size());
  for (auto& t : txns) pointers.push_back(&t);
  return PreparedCommit(std::make_unique<ScriptRuns<GridTransaction>>(pointers));
}

}  // namespace gridbridge::platform
