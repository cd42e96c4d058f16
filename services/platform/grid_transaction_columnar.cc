// ColumnarRun: the columnar form of a commit script run (see the header and
// the script's ARGV layout in grid_transaction.cc).
#include "grid_transaction_columnar.h"

#include <algorithm>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/numbers.h"
#include "outbox_pack.h"

namespace gridbridge::platform {
namespace {

// KEYS in the columnar layout: [1] outbox, [2] current and [3] previous
// request bucket, then the keys that must not exist yet (one EXISTS over
// KEYS[4 ..]), then the others; numbers are Lua's, 1-based. Keys are
// views of the transactions' own (which outlive the builder), copied once,
// into the command.
class ColumnarKeys {
 public:
  // `buckets`: the request buckets {current, previous}.
  ColumnarKeys(std::string_view outbox, std::string_view current, std::string_view previous,
               const std::vector<std::string_view>& absent)
      : keys_{outbox, current, previous} {
    for (std::string_view key : absent) Number(key);
    absent_ = keys_.size() - 3;
  }
  std::string Number(std::string_view key) {
    auto [it, fresh] = numbers_.try_emplace(key, 0);
    if (fresh) {
      keys_.push_back(key);
      it->second = static_cast<int>(keys_.size());
    }
    return std::to_string(it->second);
  }
  const std::vector<std::string_view>& keys() const { return keys_; }
  // How many keys must not exist yet (set by the constructor).
  size_t absent() const { return absent_; }

 private:
  std::vector<std::string_view> keys_;
  absl::flat_hash_map<std::string_view, int> numbers_;
  size_t absent_ = 0;
};

}  // namespace

bool ColumnarRun::Fits(const std::vector<const GridTransaction*>& txns) {
  if (txns.empty()) return false;
  size_t absent = 0;
  absl::flat_hash_map<std::string_view, size_t> members;  // sorted set -> members added
  absl::flat_hash_set<std::string_view> fields;
  absl::flat_hash_map<std::string_view, size_t> owner;  // guarded or written key -> transaction
  absl::flat_hash_map<std::string_view, std::string_view> trims;  // key -> bound
  absl::flat_hash_set<std::string_view> added_untrimmed;          // added to, not trimmed after
  for (size_t t = 0; t < txns.size(); ++t) {
    const GridTransaction& txn = *txns[t];
    if (txn.keys_[1] != txns.front()->keys_[1]) return false;
    if (!txn.request_field_.empty() && !fields.insert(txn.request_field_).second) return false;
    auto claim = [&](int key) {
      auto [it, fresh] = owner.try_emplace(txn.keys_[key], t);
      return fresh || it->second == t;
    };
    for (const auto& [key, version] : txn.guards_) {
      if (!claim(key)) return false;
      if (version == 0 && ++absent > kMaxUnpackedValues) return false;
    }
    // Sorted sets this transaction added to and has not trimmed since: a
    // few at most, so a small vector (a hash set per transaction cost ~1.5 %
    // of a decision's instructions).
    absl::InlinedVector<std::string_view, 4> added;
    for (const auto& op : txn.ops_) {
      const std::string_view key = txn.keys_[op.key];
      switch (op.code) {
        case 'R':
          if (!claim(op.key)) return false;
          break;
        case 'Z':
          if (std::find(added.begin(), added.end(), key) == added.end()) added.push_back(key);
          if (2 * ++members[key] > kMaxUnpackedValues) return false;
          break;
        case 'T': {
          auto [it, fresh] = trims.try_emplace(key, op.a);
          if (!fresh && it->second != op.a) return false;
          added.erase(std::remove(added.begin(), added.end(), key), added.end());
          break;
        }
        case 'C':
        case 'P':
          break;
        default:
          return false;
      }
    }
    added_untrimmed.insert(added.begin(), added.end());
  }
  for (const auto& key : added_untrimmed) {
    if (trims.contains(key)) return false;
  }
  return true;
}

template <typename Txn>
std::optional<ColumnarRun> ColumnarRun::Build(const RedisScript& script,
                                              const std::vector<Txn*>& txns) {
  {
    const std::vector<const GridTransaction*> view(txns.begin(), txns.end());
    if (!Fits(view)) return std::nullopt;
  }
  // The bytes of the transactions' records, members and answers:
  // moved into the command from transactions that are not const (and
  // remembered, to be given back), copied from the others.
  ColumnarRun run;
  // Lists of arguments that take bytes, numbered: the answers, the
  // records, then each sorted set's members.
  constexpr size_t kResponses = 0, kRecords = 1, kFirstMembers = 2;
  struct Taken {
    std::string* home;
    size_t list, index;  // where it went before the command was assembled
  };
  std::vector<Taken> taken;
  auto take = [&](auto& bytes, RedisArgs& args, size_t list) {
    if constexpr (!std::is_const_v<Txn>) {
      taken.push_back({&bytes, list, args.size()});
      args.push_back(std::move(bytes));
    } else {
      args.push_back(bytes);
    }
  };

  std::vector<std::string_view> absent;
  size_t frame_bytes = 0;
  for (const Txn* txn : txns) {
    for (const auto& [key, version] : txn->guards_) {
      if (version == 0) absent.push_back(txn->keys_[key]);
    }
    for (const auto& op : txn->ops_) {
      if (op.code == 'P') frame_bytes += op.a.size();
    }
  }
  Txn& first = *txns.front();
  ColumnarKeys keys(first.outbox_key(), first.keys_[1], first.keys_[2], absent);

  RedisArgs fields, responses, guards, records, counters, trims;
  absl::flat_hash_set<std::string_view> trimmed;  // once per key (one bound: Fits)
  std::string frames;
  frames.reserve(frame_bytes);
  // Sorted-set members per key and counter sums per (key, field), each in
  // order of first appearance.
  std::vector<std::pair<std::string, RedisArgs>> zadds;
  absl::flat_hash_map<std::string_view, size_t> zadd_of;
  struct Sum {
    std::string key_number, field;
    long long delta = 0;
  };
  std::vector<Sum> sums;
  absl::flat_hash_map<std::pair<std::string_view, std::string_view>, size_t>
      sum_of;  // (key, field) -> sums
  long long ttl = 0;
  for (Txn* txn : txns) {
    if (!txn->request_field_.empty()) {
      fields.push_back(txn->request_field_);
      responses.push_back(txn->request_field_);
      take(txn->response_, responses, kResponses);
      ttl = txn->bucket_ttl_seconds_;
    }
    for (const auto& [key, version] : txn->guards_) {
      if (version == 0) continue;  // one EXISTS over KEYS[4 ..]
      guards.push_back(keys.Number(txn->keys_[key]));
      guards.push_back(std::to_string(version));
    }
    for (auto& op : txn->ops_) {
      const std::string& key = txn->keys_[op.key];
      switch (op.code) {
        case 'R':
          records.insert(records.end(), {keys.Number(key), op.a});
          take(op.b, records, kRecords);
          break;
        case 'Z': {
          auto [it, fresh] = zadd_of.try_emplace(key, zadds.size());
          if (fresh) zadds.emplace_back(keys.Number(key), RedisArgs{});
          RedisArgs& members = zadds[it->second].second;
          members.push_back(op.a);
          take(op.b, members, kFirstMembers + it->second);
          break;
        }
        case 'C': {
          long long delta = 0;
          (void)absl::SimpleAtoi(op.b, &delta);
          auto [it, fresh] = sum_of.try_emplace({key, op.a}, sums.size());
          if (fresh) sums.push_back({keys.Number(key), op.a});
          sums[it->second].delta += delta;
          break;
        }
        case 'T':
          if (trimmed.insert(key).second) trims.insert(trims.end(), {keys.Number(key), op.a});
          break;
        case 'P':
          frames += op.a;  // frames concatenate into an OutboxBatch
          break;
      }
    }
  }
  for (auto& sum : sums) {
    if (sum.delta == 0) continue;
    counters.insert(counters.end(),
                    {std::move(sum.key_number), std::move(sum.field), std::to_string(sum.delta)});
  }

  const std::vector<std::string_view>& key_list = keys.keys();
  RedisArgs& command = run.command_;
  command = {"EVALSHA", script.sha1, std::to_string(key_list.size())};
  command.reserve(3 + key_list.size() + 11 + 3 * fields.size() + guards.size() + records.size() +
                  trims.size() + counters.size() + 4 * txns.size());
  for (std::string_view k : key_list) command.emplace_back(k);
  command.insert(
      command.end(),
      {std::to_string(txns.size()), "3", std::to_string(ttl), std::to_string(fields.size()),
       std::to_string(keys.absent()), std::to_string(guards.size() / 2),
       std::to_string(records.size() / 3), std::to_string(zadds.size()),
       std::to_string(counters.size() / 3), "", std::to_string(trims.size() / 2)});
  command[command.size() - 2] = PackOutboxEntry(std::move(frames));
  // Where each numbered list starts in the command, to find what was taken.
  std::vector<size_t> start(kFirstMembers + zadds.size());
  auto append = [&](RedisArgs& args) {
    for (auto& a : args) command.push_back(std::move(a));
  };
  append(fields);
  start[kResponses] = command.size();
  append(responses);
  append(guards);
  start[kRecords] = command.size();
  append(records);
  for (size_t z = 0; z < zadds.size(); ++z) {
    command.push_back(std::move(zadds[z].first));
    command.push_back(std::to_string(zadds[z].second.size() / 2));
    start[kFirstMembers + z] = command.size();
    append(zadds[z].second);
  }
  append(trims);
  append(counters);
  for (const Taken& t : taken) run.taken_.push_back({t.home, start[t.list] + t.index});
  return run;
}

template std::optional<ColumnarRun> ColumnarRun::Build(const RedisScript&,
                                                       const std::vector<GridTransaction*>&);
template std::optional<ColumnarRun> ColumnarRun::Build(const RedisScript&,
                                                       const std::vector<const GridTransaction*>&);

void ColumnarRun::GiveBack(RedisArgs& sent) {
  for (const auto& [home, arg] : taken_) *home = std::move(sent[arg]);
  taken_.clear();
}

}  // namespace gridbridge::platform
