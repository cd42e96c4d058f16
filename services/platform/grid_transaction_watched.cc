// GridTransaction::CommitWatched: transactions committed with WATCH and
// MULTI/EXEC instead of the commit script.
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grid_transaction.h"
#include "outbox.h"
#include "outbox_pack.h"

namespace gridbridge::platform {
namespace {

// Transactions per WATCH ... EXEC (see CommitWatched).
constexpr size_t kTransactionsPerWatch = 32;

}  // namespace

// A round: up to kTransactionsPerWatch transactions of one grid, committed
// on a session (see CommitWatched).
class WatchedGridCommit {
 public:
  WatchedGridCommit(const std::vector<GridTransaction>& txns, const std::vector<size_t>& members,
                    GridTransaction::Outcomes& out)
      : txns_(txns), members_(members), out_(out) {}

  // One round: false when EXEC was aborted by a change to a watched key
  // (nothing was written; run it again).
  absl::StatusOr<bool> Run(RedisClient::Session& session, const std::function<void()>& between) {
    auto state = Read(session);
    if (!state.ok()) return state.status();
    if (between) between();
    std::vector<size_t> committing;
    std::vector<RedisArgs> commands = Writes(*state, &committing);
    if (committing.empty()) {
      if (state->watching) {
        auto unwatched = session.Pipeline({{"UNWATCH"}});
        if (!unwatched.ok()) return unwatched.status();
      }
      return true;
    }
    auto replies = session.Pipeline(commands);
    if (!replies.ok()) return replies.status();
    const RedisReply& exec = replies->back();
    if (exec.is_nil()) return false;  // a watched key changed
    absl::Status failed;
    if (exec.is_error()) failed = absl::InternalError("grid transaction failed: " + exec.str);
    for (const auto& r : exec.elements) {
      if (r.is_error() && failed.ok()) {
        // Like an error inside the script: what ran before it stays.
        failed = absl::InternalError("grid transaction failed: " + r.str);
      }
    }
    for (size_t i : committing) {
      if (failed.ok()) {
        out_[i] = GridTransaction::Outcome{};
      } else {
        out_[i] = failed;
      }
    }
    return true;
  }

  // After too many aborted rounds: the caller decides again on fresh reads.
  void GiveUp() {
    for (size_t i : members_) {
      GridTransaction::Outcome conflict;
      conflict.kind = GridTransaction::Outcome::Kind::kConflict;
      out_[i] = conflict;
    }
  }

 private:
  // What the round's transactions depend on, as read under WATCH: the
  // versions of the guarded keys (0: absent) and the responses the request
  // log remembers for their request fields.
  struct State {
    bool watching = false;
    absl::flat_hash_map<std::string, long long> versions;
    absl::flat_hash_map<std::string, std::string> remembered;  // request field -> response
  };

  absl::StatusOr<State> Read(RedisClient::Session& session) {
    State state;
    RedisArgs watch{"WATCH"};
    absl::flat_hash_set<std::string> watched;
    std::vector<RedisArgs> commands(1);
    std::vector<bool> is_guard(1);  // per command: a version read, or a request log read
    auto watch_key = [&](const std::string& key) {
      if (watched.insert(key).second) watch.push_back(key);
    };
    absl::flat_hash_set<std::string> fields;
    for (size_t i : members_) {
      const GridTransaction& t = txns_[i];
      if (!t.request_field_.empty() && fields.insert(t.request_field_).second) {
        // The current bucket first, as the script looks.
        for (int bucket : {1, 2}) {
          watch_key(t.keys_[bucket]);
          commands.push_back({"HGET", t.keys_[bucket], t.request_field_});
          is_guard.push_back(false);
        }
      }
      for (const auto& [key, version] : t.guards_) {
        if (!state.versions.emplace(t.keys_[key], 0).second) continue;
        watch_key(t.keys_[key]);
        commands.push_back({"HGET", t.keys_[key], "v"});
        is_guard.push_back(true);
      }
    }
    if (watched.empty()) return state;
    commands[0] = std::move(watch);
    auto replies = session.Pipeline(commands);
    if (!replies.ok()) return replies.status();
    state.watching = true;
    for (size_t c = 0; c < commands.size(); ++c) {
      const RedisReply& r = (*replies)[c];
      if (r.is_error()) return absl::InternalError("grid transaction read: " + r.str);
      if (c == 0 || r.is_nil()) continue;
      if (!is_guard[c]) {
        state.remembered.try_emplace(commands[c][2], r.str);
        continue;
      }
      long long v = 0;
      if (!absl::SimpleAtoi(r.str, &v)) {
        return absl::DataLossError(absl::StrCat(commands[c][1], " has version '", r.str, "'"));
      }
      state.versions[commands[c][1]] = v;
    }
    return state;
  }

  // MULTI, the writes of the transactions whose guards hold (in `out_`
  // the others get CONFLICT), the counters, the outbox entries, EXEC.
  std::vector<RedisArgs> Writes(State& state, std::vector<size_t>* committing) {
    absl::flat_hash_map<std::string, long long>& versions = state.versions;
    std::vector<RedisArgs> commands{{"MULTI"}};
    std::map<std::string, long long> log_ttl;  // request log buckets written
    absl::flat_hash_set<std::string> trimmed;
    absl::flat_hash_map<std::pair<std::string, std::string>, long long> sums;
    std::vector<std::pair<std::string, std::string>> sum_order;
    std::vector<std::string> entries(1);
    int in_entry = 0;
    for (size_t i : members_) {
      const GridTransaction& t = txns_[i];
      if (!t.request_field_.empty()) {
        auto prior = state.remembered.find(t.request_field_);
        if (prior != state.remembered.end()) {  // a retry: its first answer, nothing else
          GridTransaction::Outcome duplicate;
          duplicate.kind = GridTransaction::Outcome::Kind::kDuplicate;
          duplicate.prior_response = prior->second;
          out_[i] = duplicate;
          continue;
        }
      }
      const std::string* conflict = nullptr;
      for (const auto& [key, version] : t.guards_) {
        if (versions[t.keys_[key]] != version) {
          conflict = &t.keys_[key];
          break;
        }
      }
      if (conflict != nullptr) {
        GridTransaction::Outcome outcome;
        outcome.kind = GridTransaction::Outcome::Kind::kConflict;
        outcome.conflict_key = *conflict;
        out_[i] = outcome;
        continue;
      }
      for (const auto& op : t.ops_) {
        const std::string& key = t.keys_[op.key];
        switch (op.code) {
          case 'R': {
            commands.push_back({"HSET", key, "v", op.a, "p", op.b});
            // A later transaction's guard on this key sees this version.
            auto it = versions.find(key);
            if (it != versions.end()) (void)absl::SimpleAtoi(op.a, &it->second);
            break;
          }
          case 'Z':
            commands.push_back({"ZADD", key, op.a, op.b});
            break;
          case 'T':
            if (trimmed.insert(key + " " + op.a).second) {
              commands.push_back({"ZREMRANGEBYSCORE", key, "-inf", "(" + op.a});
            }
            break;
          case 'X':
            commands.push_back({"EXPIRE", key, op.a});
            break;
          case 'D':
            commands.push_back({"ZREM", key, op.a});
            break;
          case 'C': {
            long long delta = 0;
            (void)absl::SimpleAtoi(op.b, &delta);
            auto [it, fresh] = sums.try_emplace({key, op.a}, 0);
            if (fresh) sum_order.push_back(it->first);
            it->second += delta;
            break;
          }
          case 'P':
            if (in_entry == kMaxRecordsPerOutboxEntry) {
              entries.emplace_back();
              in_entry = 0;
            }
            entries.back() += op.a;  // frames concatenate into an OutboxBatch
            ++in_entry;
            break;
        }
      }
      if (!t.request_field_.empty()) {
        commands.push_back({"HSET", t.keys_[1], t.request_field_, t.response_});
        state.remembered.emplace(t.request_field_, t.response_);
        log_ttl[t.keys_[1]] = t.bucket_ttl_seconds_;
      }
      committing->push_back(i);
    }
    for (const auto& field : sum_order) {
      const long long sum = sums[field];
      if (sum != 0) commands.push_back({"HINCRBY", field.first, field.second, std::to_string(sum)});
    }
    for (const auto& [key, ttl] : log_ttl) {
      commands.push_back({"EXPIRE", key, std::to_string(ttl)});
    }
    const std::string& outbox = txns_[members_.front()].outbox_key();
    for (auto& entry : entries) {
      if (!entry.empty()) {
        commands.push_back({"XADD", outbox, "*", "b", PackOutboxEntry(std::move(entry))});
      }
    }
    commands.push_back({"EXEC"});
    return commands;
  }

  const std::vector<GridTransaction>& txns_;
  const std::vector<size_t>& members_;
  GridTransaction::Outcomes& out_;
};

absl::StatusOr<GridTransaction::Outcomes> GridTransaction::CommitWatched(
    RedisClient& redis, const std::vector<GridTransaction>& txns,
    const std::function<void()>& between) {
  Outcomes out(txns.size(), absl::InternalError("grid transaction: not run"));
  // The transactions of each grid, grids in order of first appearance.
  std::vector<std::string> grids;
  std::map<std::string, std::vector<size_t>> members;
  for (size_t i = 0; i < txns.size(); ++i) {
    const GridTransaction& t = txns[i];
    if (absl::Status s = CheckOneGrid(t); !s.ok()) {
      out[i] = s;
      continue;
    }
    auto [it, fresh] = members.try_emplace(t.outbox_key());
    if (fresh) grids.push_back(t.outbox_key());
    it->second.push_back(i);
  }
  // Rounds of a few transactions: Redis checks each key a WATCH adds
  // against every key the connection watches already, so the cost of a
  // round grows with the square of its keys.
  std::vector<std::vector<size_t>> rounds;
  for (const auto& grid : grids) {
    for (size_t i : members[grid]) {
      if (rounds.empty() || txns[rounds.back().front()].outbox_key() != grid ||
          rounds.back().size() == kTransactionsPerWatch) {
        rounds.emplace_back();
      }
      rounds.back().push_back(i);
    }
  }
  if (rounds.empty()) return out;
  absl::Status status = redis.WithSession([&](RedisClient::Session& session) -> absl::Status {
    for (const auto& round : rounds) {
      WatchedGridCommit commit(txns, round, out);
      bool done = false;
      for (int attempt = 0; attempt < 3 && !done; ++attempt) {
        auto ran = commit.Run(session, between);
        if (!ran.ok()) return ran.status();
        done = *ran;
      }
      if (!done) commit.GiveUp();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;  // any of them may or may not have run
  return out;
}

}  // namespace gridbridge::platform
