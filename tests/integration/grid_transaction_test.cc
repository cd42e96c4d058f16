// GridTransaction against a real redis-server: atomic state + outbox,
// idempotent retries, optimistic version guards, batches of one grid in one
// script run with one outbox entry.
#include "grid_transaction.h"

#include <map>
#include <thread>

#include "gtest/gtest.h"
#include "metrics.h"
#include "outbox.h"
#include "outbox_pack.h"
#include "redis_keys.h"
#include "stack.h"

namespace gridbridge::platform {
namespace {

using Kind = GridTransaction::Outcome::Kind;

const absl::Time kNow = absl::FromUnixSeconds(1649642400);  // 2022-04-11 02:00 UTC

class GridTransactionTest : public ::testing::Test {
 protected:
  absl::StatusOr<GridTransaction::Outcome> Run(const GridTransaction& txn) {
    return GridTransaction::Commit(redis_, txn);
  }
  // Every record in the grid's outbox, entry by entry.
  std::vector<std::vector<KafkaRecord>> OutboxEntries(const GridKeys& keys) {
    std::vector<std::vector<KafkaRecord>> out;
    auto entries = redis_.Command({"XRANGE", keys.Outbox(), "-", "+"});
    for (const auto& e : entries->elements) out.push_back(*DecodeOutboxEntry(e.elements[1]));
    return out;
  }
  // The kind of each outcome (a failed outcome fails the test).
  static std::vector<Kind> Kinds(const GridTransaction::Outcomes& out) {
    std::vector<Kind> kinds;
    for (const auto& o : out) {
      EXPECT_TRUE(o.ok()) << o.status();
      if (o.ok()) kinds.push_back(o->kind);
    }
    return kinds;
  }
  // A sorted set as member, score, member, score, ...
  std::vector<std::string> MembersWithScores(const std::string& key) {
    std::vector<std::string> out;
    auto reply = redis_.Command({"ZRANGE", key, "0", "-1", "WITHSCORES"});
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return out;
    for (const auto& e : reply->elements) out.push_back(e.str);
    return out;
  }
  // The values of each outbox entry's records.
  std::vector<std::vector<std::string>> OutboxValues(const GridKeys& keys) {
    std::vector<std::vector<std::string>> out;
    for (const auto& entry : OutboxEntries(keys)) {
      out.emplace_back();
      for (const auto& r : entry) out.back().push_back(r.value);
    }
    return out;
  }
  std::string Counter(const std::string& field) {
    auto r = redis_.Command({"HGET", keys_.Key("counts"), field});
    return r->is_nil() ? "nil" : r->str;
  }

  testing::RedisServer server_;
  RedisClient redis_{*RedisOptionsFromAddr(server_.addr())};
  GridKeys keys_{"svc", "g1"};
};

TEST_F(GridTransactionTest, CommitsStateCountersAndOutboxTogether) {
  GridTransaction txn(keys_, "alice:a", "response-a", kNow);
  txn.ExpectVersion(keys_.Key("rec", "x"), 0)
      .PutRecord(keys_.Key("rec", "x"), 1, "payload-1")
      .ZAdd(keys_.Key("recent"), 1649642400, "x")
      .HashIncrement(keys_.Key("counts"), "residents", 1)
      .Publish({"topic", "x", "event-bytes", {{"ce_id", "e1"}}});
  auto out = Run(txn);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->kind, Kind::kCommitted);
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "x"), "p"})->str, "payload-1");
  EXPECT_EQ(Counter("residents"), "1");
  EXPECT_EQ(redis_.Command({"ZSCORE", keys_.Key("recent"), "x"})->str, "1649642400");
  auto entries = OutboxEntries(keys_);
  ASSERT_EQ(entries.size(), 1u);
  ASSERT_EQ(entries[0].size(), 1u);
  EXPECT_EQ(entries[0][0].value, "event-bytes");
  EXPECT_EQ(entries[0][0].headers[0].second, "e1");
  // Remembered in today's bucket (day 19093), kept to the end of tomorrow.
  const std::string bucket = keys_.Key("requests", "19093");
  EXPECT_EQ(redis_.Command({"HGET", bucket, "alice:a"})->str, "response-a");
  // 02:00 on day 19093: 22 h of today and 24 h of tomorrow to go.
  EXPECT_NEAR(redis_.Command({"TTL", bucket})->integer, 46 * 3600, 5);
}

// Records of up to a kilobyte stay one compact listpack in Redis, not a hash
// table each (deploy/redis.conf, which the test Redis runs with as the local
// stack and production do); a bigger one is kept whole all the same.
TEST_F(GridTransactionTest, RecordsOfUpToAKilobyteAreKeptCompact) {
  GridTransaction txn(keys_, "", "", kNow);
  txn.PutRecord(keys_.Key("rec", "person"), 1, std::string(700, 'p'))
      .PutRecord(keys_.Key("rec", "big"), 1, std::string(2000, 'b'));
  auto out = Run(txn);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(redis_.Command({"OBJECT", "ENCODING", keys_.Key("rec", "person")})->str, "listpack");
  EXPECT_EQ(redis_.Command({"OBJECT", "ENCODING", keys_.Key("rec", "big")})->str, "hashtable");
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "person"), "p"})->str, std::string(700, 'p'));
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "big"), "p"})->str, std::string(2000, 'b'));
}

// A burst that appends more than Redis's default minimum (64 MB) to the AOF
// starts no rewrite while it runs (deploy/redis.conf: 1 GB): a rewrite takes
// a core for seconds and was what the benchmarks' tails were made of.
TEST(RedisSettingsTest, ABurstOfWritesStartsNoAofRewrite) {
  testing::RedisServer server(/*persistent=*/true);
  RedisClient redis{*RedisOptionsFromAddr(server.addr())};
  const std::string value(1 << 20, 'w');
  std::vector<RedisArgs> sets;
  for (int i = 0; i < 80; ++i) sets.push_back({"SET", "burst:" + std::to_string(i % 8), value});
  ASSERT_TRUE(redis.Pipeline(sets).ok());
  // Redis decides on a rewrite in its cron (10 times a second).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto info = redis.Command({"INFO", "persistence"});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_NE(info->str.find("aof_rewrites:0\r\n"), std::string::npos) << info->str;
  EXPECT_NE(info->str.find("aof_rewrite_in_progress:0\r\n"), std::string::npos) << info->str;
}

TEST_F(GridTransactionTest, RetryWithTheSameRequestReturnsTheFirstResponseAndChangesNothing) {
  GridTransaction first(keys_, "alice:a", "first", kNow);
  first.HashIncrement(keys_.Key("counts"), "n", 1).Publish({"t", "k", "v", {}});
  ASSERT_TRUE(Run(first).ok());
  // The next day the request is found in the previous bucket.
  GridTransaction retry(keys_, "alice:a", "second", kNow + absl::Hours(23));
  retry.HashIncrement(keys_.Key("counts"), "n", 1).Publish({"t", "k", "v", {}});
  auto out = Run(retry);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->kind, Kind::kDuplicate);
  EXPECT_EQ(out->prior_response, "first");
  EXPECT_EQ(Counter("n"), "1");
  EXPECT_EQ(OutboxEntries(keys_).size(), 1u);
  // Another caller's request with the same id is a different request.
  GridTransaction other(keys_, "bob:a", "bob", kNow);
  other.HashIncrement(keys_.Key("counts"), "n", 1);
  EXPECT_EQ(Run(other)->kind, Kind::kCommitted);
}

TEST_F(GridTransactionTest, RequestsAreForgottenAfterTheirWindow) {
  GridTransaction first(keys_, "alice:a", "first", kNow);
  first.HashIncrement(keys_.Key("counts"), "n", 1);
  ASSERT_TRUE(Run(first).ok());
  // Two days later neither bucket holds it (Redis would have expired it;
  // the lookup does not depend on that).
  GridTransaction late(keys_, "alice:a", "late", kNow + absl::Hours(48));
  late.HashIncrement(keys_.Key("counts"), "n", 1);
  EXPECT_EQ(Run(late)->kind, Kind::kCommitted);
  EXPECT_EQ(Counter("n"), "2");
}

TEST_F(GridTransactionTest, StaleVersionIsAConflictAndWritesNothing) {
  GridTransaction create(keys_, "", "", kNow);
  create.PutRecord(keys_.Key("rec", "x"), 1, "v1");
  ASSERT_TRUE(Run(create).ok());
  GridTransaction stale(keys_, "alice:b", "r", kNow);
  stale.ExpectVersion(keys_.Key("rec", "x"), 0)
      .PutRecord(keys_.Key("rec", "x"), 1, "other")
      .HashIncrement(keys_.Key("counts"), "n", 1)
      .Publish({"t", "k", "v", {}});
  auto out = Run(stale);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->kind, Kind::kConflict);
  EXPECT_EQ(out->conflict_key, keys_.Key("rec", "x"));
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "x"), "p"})->str, "v1");
  EXPECT_EQ(Counter("n"), "nil");
  EXPECT_EQ(redis_.Command({"XLEN", keys_.Outbox()})->integer, 0) << "no empty entry either";
  EXPECT_TRUE(redis_.Command({"HGET", keys_.Key("requests", "19093"), "alice:b"})->is_nil())
      << "a conflict is not remembered";
}

TEST_F(GridTransactionTest, KeysOfTwoGridsAreRefusedAndTheRestOfTheBatchCommits) {
  std::vector<GridTransaction> txns;
  txns.emplace_back(keys_, "", "", kNow);
  txns.back().PutRecord(GridKeys("svc", "g2").Key("rec", "x"), 1, "p");
  txns.emplace_back(keys_, "", "", kNow);
  txns.back().PutRecord(keys_.Key("rec", "y"), 1, "p");
  auto out = GridTransaction::CommitAll(redis_, txns);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*out)[1]->kind, Kind::kCommitted);
  EXPECT_EQ(redis_.Command({"EXISTS", GridKeys("svc", "g2").Key("rec", "x")})->integer, 0);
}

TEST_F(GridTransactionTest, OldEntriesOfAWindowAreTrimmedAndMembersRemoved) {
  GridTransaction txn(keys_, "", "", kNow);
  txn.ZAdd(keys_.Key("w"), 100, "old")
      .ZAdd(keys_.Key("w"), 200, "new")
      .ZAdd(keys_.Key("w"), 300, "newer")
      .ZRemoveBelow(keys_.Key("w"), 150)
      .ZRemove(keys_.Key("w"), "newer");
  ASSERT_TRUE(Run(txn).ok());
  EXPECT_EQ(redis_.Command({"ZCARD", keys_.Key("w")})->integer, 1);
  EXPECT_EQ(redis_.Command({"ZSCORE", keys_.Key("w"), "new"})->str, "200");
}

TEST_F(GridTransactionTest, RecordsCanBeGivenATimeToLive) {
  GridTransaction txn(keys_, "", "", kNow);
  txn.PutRecord(keys_.Key("rec", "short"), 1, "p")
      .Expire(keys_.Key("rec", "short"), absl::Hours(24 * 31));
  txn.PutRecord(keys_.Key("rec", "kept"), 1, "p");
  ASSERT_TRUE(Run(txn).ok());
  const long long ttl = redis_.Command({"TTL", keys_.Key("rec", "short")})->integer;
  EXPECT_GT(ttl, 31 * 86400 - 60);
  EXPECT_LE(ttl, 31 * 86400);
  EXPECT_EQ(redis_.Command({"TTL", keys_.Key("rec", "kept")})->integer, -1);
  // Never a non-positive TTL (which would delete at once).
  GridTransaction past(keys_, "", "", kNow);
  past.PutRecord(keys_.Key("rec", "old"), 1, "p").Expire(keys_.Key("rec", "old"), -absl::Hours(1));
  ASSERT_TRUE(Run(past).ok());
  const long long old_ttl = redis_.Command({"TTL", keys_.Key("rec", "old")})->integer;
  EXPECT_TRUE(old_ttl == 1 || old_ttl == 0 || old_ttl == -2) << old_ttl;  // -2: gone already
}

// A batch: each transaction all-or-nothing on its own, in order; counters of
// the committed ones summed; their events in ONE outbox entry per grid.
// The batch tests run for both ways of committing a batch: the script
// (CommitAll) and WATCH + MULTI/EXEC (CommitWatched) must agree.
class GridBatchTest : public GridTransactionTest, public ::testing::WithParamInterface<bool> {
 protected:
  absl::StatusOr<GridTransaction::Outcomes> CommitBatch(const std::vector<GridTransaction>& txns) {
    return GetParam() ? GridTransaction::CommitWatched(redis_, txns)
                      : GridTransaction::CommitAll(redis_, txns);
  }
};

INSTANTIATE_TEST_SUITE_P(ScriptAndWatched, GridBatchTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Watched" : "Script"; });

TEST_P(GridBatchTest, ABatchCommitsEachTransactionOnItsOwnWithOneOutboxEntryPerGrid) {
  GridKeys other("svc", "g2");
  std::vector<GridTransaction> txns;
  auto add = [&](const GridKeys& k, const std::string& request, const std::string& rec,
                 long long expect, const std::string& event) {
    txns.emplace_back(k, request, "answer-" + request, kNow);
    txns.back()
        .ExpectVersion(k.Key("rec", rec), expect)
        .PutRecord(k.Key("rec", rec), expect + 1, event)
        .HashIncrement(k.Key("counts"), "n", 1)
        .HashIncrement(k.Key("counts"), "m", 2)
        .Publish({"t", rec, event, {}});
  };
  add(keys_, "a:1", "x", 0, "x1");
  add(other, "a:2", "z", 0, "z1");
  add(keys_, "a:3", "x", 0, "x-again");  // sees x1 written by a:1: conflict
  add(keys_, "a:4", "y", 0, "y1");
  add(keys_, "a:4", "w", 0, "w1");  // same request as the one before: its answer
  add(keys_, "a:6", "x", 1, "x2");  // builds on a:1
  auto out = CommitBatch(txns);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), (std::vector<Kind>{Kind::kCommitted, Kind::kCommitted, Kind::kConflict,
                                            Kind::kCommitted, Kind::kDuplicate, Kind::kCommitted}));
  EXPECT_EQ((*out)[4]->prior_response, "answer-a:4");
  EXPECT_EQ(Counter("n"), "3");
  EXPECT_EQ(Counter("m"), "6");
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "x"), "p"})->str, "x2");
  EXPECT_EQ(redis_.Command({"EXISTS", keys_.Key("rec", "w")})->integer, 0);
  using Entries = std::vector<std::vector<std::string>>;
  EXPECT_EQ(OutboxValues(keys_), (Entries{{"x1", "y1", "x2"}}));
  EXPECT_EQ(OutboxValues(other), (Entries{{"z1"}}));

  // The whole batch again (a consumer's redelivery): every request that
  // committed is a retry and gets its first answer; a:3 never committed
  // and is stale still. Nothing changes.
  out = CommitBatch(txns);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), (std::vector<Kind>{Kind::kDuplicate, Kind::kDuplicate, Kind::kConflict,
                                            Kind::kDuplicate, Kind::kDuplicate, Kind::kDuplicate}));
  EXPECT_EQ((*out)[5]->prior_response, "answer-a:6");
  EXPECT_EQ(Counter("n"), "3");
  EXPECT_EQ(OutboxEntries(keys_).size(), 1u);
}

// The script merges a run's writes into few calls per key (one ZADD of
// every member, the last version of a record); what each key ends up
// holding must be what the transactions applied one by one would leave.
TEST_P(GridBatchTest, AKeysWritesKeepTheirOrderAcrossTheTransactionsOfABatch) {
  const std::string w = keys_.Key("w"), rec = keys_.Key("rec", "r");
  std::vector<GridTransaction> txns;
  auto next = [&](const std::string& request) -> GridTransaction& {
    return txns.emplace_back(keys_, request, "answer-" + request, kNow);
  };
  next("a:1").ZAdd(w, 1, "m").ZAdd(w, 2, "n").PutRecord(rec, 1, "one");
  next("a:2").ZRemove(w, "m").ZAdd(w, 3, "o");
  next("a:3").ZAdd(w, 4, "m").ZAdd(w, 5, "n").ExpectVersion(rec, 1).PutRecord(rec, 2, "two");
  next("a:4").ZRemoveBelow(w, 4).ZAdd(w, 1, "p");
  next("a:5").ExpectVersion(rec, 1).PutRecord(rec, 2, "stale");  // a:3 wrote version 2
  next("a:2").ZAdd(w, 9, "retried");                             // a retry of a:2 in the same batch
  auto out = CommitBatch(txns);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), (std::vector<Kind>{Kind::kCommitted, Kind::kCommitted, Kind::kCommitted,
                                            Kind::kCommitted, Kind::kConflict, Kind::kDuplicate}));
  EXPECT_EQ((*out)[5]->prior_response, "answer-a:2");
  // In order: m,n; -m, o; m=4, n=5; trim below 4 (o:3 goes); p=1.
  EXPECT_EQ(MembersWithScores(w), (std::vector<std::string>{"p", "1", "m", "4", "n", "5"}));
  EXPECT_EQ(redis_.Command({"HGET", rec, "p"})->str, "two");
  EXPECT_EQ(redis_.Command({"HGET", rec, "v"})->str, "2");
  // Every committed request is remembered, once.
  auto log = redis_.Command({"HLEN", keys_.Key("requests", "19093")});
  EXPECT_EQ(log->integer, 4);
}

// Transactions that cannot see each other (no shared record, no shared
// request): the script takes its batched path (see below); each still gets
// its own verdict.
TEST_P(GridBatchTest, TransactionsThatCannotSeeEachOtherStillGetTheirOwnVerdicts) {
  const std::string old = keys_.Key("rec", "old"), idx = keys_.Key("idx");
  GridTransaction setup(keys_, "a:1", "answer-a:1", kNow);
  setup.ExpectVersion(old, 0).PutRecord(old, 1, "old-1").HashIncrement(keys_.Key("counts"), "n", 1);
  ASSERT_EQ(Run(setup)->kind, Kind::kCommitted);

  std::vector<GridTransaction> txns;
  auto add = [&](const std::string& request, const std::string& rec) -> GridTransaction& {
    GridTransaction& t = txns.emplace_back(keys_, request, "answer-" + request, kNow);
    return t.ExpectVersion(keys_.Key("rec", rec), 0)
        .PutRecord(keys_.Key("rec", rec), 1, rec + "-1")
        .ZAdd(idx, 0, rec)
        .HashIncrement(keys_.Key("counts"), "n", 1)
        .Publish({"t", rec, rec + "-1", {}});
  };
  add("a:1", "p");                        // a retry: the first answer
  add("a:2", "q");                        // new
  add("a:3", "s").ExpectVersion(old, 5);  // stale: old is at 1
  add("", "r");                           // new, no request to remember
  auto out = CommitBatch(txns);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), (std::vector<Kind>{Kind::kDuplicate, Kind::kCommitted, Kind::kConflict,
                                            Kind::kCommitted}));
  EXPECT_EQ((*out)[0]->prior_response, "answer-a:1");
  EXPECT_EQ((*out)[2]->conflict_key, old);
  EXPECT_EQ(Counter("n"), "3");
  EXPECT_EQ(MembersWithScores(idx), (std::vector<std::string>{"q", "0", "r", "0"}));
  EXPECT_EQ(redis_.Command({"EXISTS", keys_.Key("rec", "p"), keys_.Key("rec", "s")})->integer, 0);
  EXPECT_EQ(OutboxValues(keys_), (std::vector<std::vector<std::string>>{{"q-1", "r-1"}}));
  EXPECT_EQ(redis_.Command({"HLEN", keys_.Key("requests", "19093")})->integer, 2);
}

// How many times Redis ran `command` since the last CONFIG RESETSTAT
// (commands a script runs count too).
long long CommandCalls(RedisClient& redis, const std::string& command) {
  auto info = redis.Command({"INFO", "commandstats"});
  const std::string prefix = "cmdstat_" + command + ":calls=";
  const size_t at = info->str.find(prefix);
  if (at == std::string::npos) return 0;
  return std::stoll(info->str.substr(at + prefix.size()));
}

// A run of new records reads its request log with one HMGET per bucket and
// its guards with one EXISTS; when one of the records exists after all (a
// race, a retry), the run goes one by one and decides exactly.
TEST_F(GridTransactionTest, ARunOfNewRecordsChecksThemTogetherAndOneByOneWhenOneExists) {
  auto batch = [&](const std::string& prefix) {
    std::vector<GridTransaction> txns;
    for (int i = 0; i < 10; ++i) {
      const std::string rec = keys_.Key("rec", prefix + std::to_string(i));
      txns.emplace_back(keys_, prefix + ":" + std::to_string(i), "r", kNow);
      txns.back()
          .ExpectVersion(rec, 0)
          .PutRecord(rec, 1, "p")
          .ZAdd(keys_.Key("idx"), 0, rec)
          .HashIncrement(keys_.Key("counts"), "n", 1);
    }
    return txns;
  };
  ASSERT_TRUE(redis_.Command({"CONFIG", "RESETSTAT"}).ok());
  auto out = GridTransaction::CommitAll(redis_, batch("a"));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), std::vector<Kind>(10, Kind::kCommitted));
  EXPECT_EQ(CommandCalls(redis_, "exists"), 1);
  EXPECT_EQ(CommandCalls(redis_, "hmget"), 2);
  EXPECT_EQ(CommandCalls(redis_, "hget"), 0);
  EXPECT_EQ(CommandCalls(redis_, "zadd"), 1);
  EXPECT_EQ(CommandCalls(redis_, "hset"), 11);  // 10 records, 1 request log

  ASSERT_TRUE(redis_.Command({"HSET", keys_.Key("rec", "b4"), "v", "1", "p", "x"}).ok());
  ASSERT_TRUE(redis_.Command({"CONFIG", "RESETSTAT"}).ok());
  out = GridTransaction::CommitAll(redis_, batch("b"));
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<Kind> expected(10, Kind::kCommitted);
  expected[4] = Kind::kConflict;
  EXPECT_EQ(Kinds(*out), expected);
  EXPECT_GE(CommandCalls(redis_, "hget"), 10);  // one by one
  EXPECT_EQ(Counter("n"), "19");
}

// Transactions that cannot see each other but trim, remove or expire: the
// script checks them together and applies their writes one transaction
// after the other (adds to a sorted set are not grouped ahead of a
// removal or a trim that must see them).
TEST_P(GridBatchTest, IndependentTransactionsThatTrimAndRemoveKeepTheirWriteOrder) {
  const std::string w = keys_.Key("w");
  std::vector<GridTransaction> txns;
  auto next = [&](const std::string& request, const std::string& rec) -> GridTransaction& {
    GridTransaction& t = txns.emplace_back(keys_, request, "answer-" + request, kNow);
    return t.ExpectVersion(keys_.Key("rec", rec), 0).PutRecord(keys_.Key("rec", rec), 1, rec);
  };
  next("a:1", "r1").ZAdd(w, 1, "m");
  next("a:2", "r2").ZRemove(w, "m").ZAdd(w, 3, "o");
  next("a:3", "r3")
      .ZRemoveBelow(w, 3)
      .ZAdd(w, 1, "p")
      .Expire(keys_.Key("rec", "r3"), absl::Hours(1));
  ASSERT_TRUE(redis_.Command({"CONFIG", "RESETSTAT"}).ok());
  auto out = CommitBatch(txns);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), std::vector<Kind>(3, Kind::kCommitted));
  EXPECT_EQ(MembersWithScores(w), (std::vector<std::string>{"p", "1", "o", "3"}));
  EXPECT_NEAR(redis_.Command({"TTL", keys_.Key("rec", "r3")})->integer, 3600, 5);
  if (!GetParam()) {  // the script's batched checks
    EXPECT_EQ(CommandCalls(redis_, "hmget"), 2);
    EXPECT_EQ(CommandCalls(redis_, "exists"), 1);
    EXPECT_EQ(CommandCalls(redis_, "zadd"), 3);
  }
}

// How many script runs of `form` this process sent (the runs metric).
double RunsOf(const std::string& form) {
  for (const auto& family : Metrics().Collect()) {
    if (family.name != "gridbridge_grid_transaction_runs_total") continue;
    for (const auto& metric : family.metric) {
      if (metric.label.size() == 1 && metric.label[0].value == form) return metric.counter.value;
    }
  }
  return 0;
}

// What a grid's keys hold, for comparing two grids written the same way:
// each key (its grid's name cut off) with its type's contents; a stream
// as its records in order (how they were split into entries aside).
std::map<std::string, std::string> GridState(RedisClient& redis, const GridKeys& keys) {
  std::map<std::string, std::string> out;
  auto names = redis.Command({"KEYS", keys.tag() + "*"});
  for (const auto& name : names->elements) {
    const std::string key = name.str;
    const std::string type = redis.Command({"TYPE", key})->str;
    std::string value = type + ":";
    if (type == "hash") {
      auto all = redis.Command({"HGETALL", key});
      std::map<std::string, std::string> fields;
      for (size_t i = 0; i + 1 < all->elements.size(); i += 2) {
        fields[all->elements[i].str] = all->elements[i + 1].str;
      }
      for (const auto& [f, v] : fields) value += f + "=" + v + ";";
    } else if (type == "zset") {
      auto all = redis.Command({"ZRANGE", key, "0", "-1", "WITHSCORES"});
      for (const auto& e : all->elements) value += e.str + ";";
    } else if (type == "stream") {
      auto entries = redis.Command({"XRANGE", key, "-", "+"});
      for (const auto& e : entries->elements) {
        const std::vector<KafkaRecord> records = *DecodeOutboxEntry(e.elements[1]);
        for (const auto& r : records) value += r.key + "=" + r.value + ";";
      }
    }
    const long long ttl = redis.Command({"TTL", key})->integer;
    value += " ttl " +
             std::to_string(ttl > 0 ? (ttl + 30) / 60 : ttl);  // minutes: runs differ by a second
    out[key.substr(keys.tag().size())] = value;
  }
  return out;
}

// A run whose transactions cannot see each other and only write records,
// add members, count and publish takes the columnar form (ColumnarRun): it
// must leave exactly what committing them one at a time leaves.
TEST_F(GridTransactionTest, AColumnarRunLeavesWhatCommittingOneAtATimeLeaves) {
  GridKeys one_by_one("svc", "g2");
  auto txns_of = [](const GridKeys& k) {
    std::vector<GridTransaction> txns;
    for (int i = 0; i < 12; ++i) {
      const std::string id = std::to_string(i);
      const std::string rec = k.Key("rec", id);
      GridTransaction& t = txns.emplace_back(k, i == 7 ? "" : "a:" + id, "answer-" + id, kNow);
      t.ExpectVersion(rec, 0)
          .PutRecord(rec, 1, "p" + id)
          .ZAdd(k.Key("idx"), 0, id)
          .ZAdd(k.Key("by-time"), 100 - i, id)
          .HashIncrement(k.Key("counts"), "n", 1)
          .HashIncrement(k.Key("counts"), "odd", i % 2)
          .HashIncrement(k.Key("counts"), "net", i % 2 == 0 ? 2 : -1);
      // A window kept to scores from 5 on: each adds, then trims.
      t.ZAdd(k.Key("window"), i, id).ZRemoveBelow(k.Key("window"), 5);
      if (i % 3 != 0) t.Publish({"t", id, "e" + id, {}});
      if (i == 4) t.PutRecord(k.Key("rec", "4b"), 3, "second record");
    }
    return txns;
  };
  // A record of an earlier version, guarded by a non-zero version.
  const std::string older = keys_.Key("rec", "older"), older2 = one_by_one.Key("rec", "older");
  ASSERT_TRUE(redis_.Command({"HSET", older, "v", "2", "p", "old"}).ok());
  ASSERT_TRUE(redis_.Command({"HSET", older2, "v", "2", "p", "old"}).ok());
  for (const GridKeys* k : {&keys_, &one_by_one}) {
    ASSERT_TRUE(redis_.Command({"ZADD", k->Key("window"), "1", "old", "50", "kept"}).ok());
  }
  auto with_older = [](std::vector<GridTransaction> txns, const std::string& key) {
    txns[5].ExpectVersion(key, 2).PutRecord(key, 3, "newer");
    return txns;
  };

  const double columnar = RunsOf("columnar"), general = RunsOf("general");
  auto out = GridTransaction::CommitAll(redis_, with_older(txns_of(keys_), older));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), std::vector<Kind>(12, Kind::kCommitted));
  EXPECT_EQ(RunsOf("columnar"), columnar + 1);
  EXPECT_EQ(RunsOf("general"), general);

  for (const auto& txn : with_older(txns_of(one_by_one), older2)) {
    auto one = Run(txn);
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ(one->kind, Kind::kCommitted);
  }
  const auto state = GridState(redis_, keys_);
  EXPECT_EQ(state, GridState(redis_, one_by_one));
  EXPECT_EQ(state.at(":svc:counts"), "hash:n=12;net=6;odd=6; ttl -1");
  EXPECT_EQ(state.at(":svc:rec:older"), "hash:p=newer;v=3; ttl -1");
  EXPECT_EQ(state.at(":svc:window"), "zset:5;5;6;6;7;7;8;8;9;9;10;10;11;11;kept;50; ttl -1");
  EXPECT_EQ(
      OutboxValues(keys_),
      (std::vector<std::vector<std::string>>{{"e1", "e2", "e4", "e5", "e7", "e8", "e10", "e11"}}));
}

// A columnar run that meets a retried request, a record that exists after
// all or a stale version writes nothing and goes again the general way,
// which decides each transaction exactly.
// (The batches here are temporaries, whose bytes the columnar form takes
// and gives back for the general way; the copying form is the one above.)
TEST_F(GridTransactionTest, AColumnarRunThatMeetsARetryOrAStaleRecordGoesAgainTheGeneralWay) {
  // Requests that only count, index and publish: nothing but the request
  // log tells a retry.
  auto counted = [&](int from) {
    std::vector<GridTransaction> out;
    for (int i = from; i < from + 4; ++i) {
      const std::string id = std::to_string(i);
      out.emplace_back(keys_, "a:" + id, "answer-" + id, kNow);
      out.back()
          .HashIncrement(keys_.Key("counts"), "n", 1)
          .ZAdd(keys_.Key("idx"), i, "m" + id)
          .Publish({"t", "k", "e" + id, {}});
    }
    return out;
  };
  const double retried = RunsOf("columnar_retried");
  ASSERT_EQ(Kinds(*GridTransaction::CommitAll(redis_, counted(0))),
            std::vector<Kind>(4, Kind::kCommitted));
  EXPECT_EQ(RunsOf("columnar_retried"), retried);

  // Two of the same requests again, with two new ones.
  auto out = GridTransaction::CommitAll(redis_, counted(2));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), (std::vector<Kind>{Kind::kDuplicate, Kind::kDuplicate, Kind::kCommitted,
                                            Kind::kCommitted}));
  EXPECT_EQ((*out)[1]->prior_response, "answer-3");
  EXPECT_EQ(RunsOf("columnar_retried"), retried + 1);
  EXPECT_EQ(Counter("n"), "6");
  EXPECT_EQ(OutboxValues(keys_),
            (std::vector<std::vector<std::string>>{{"e0", "e1", "e2", "e3"}, {"e4", "e5"}}));
  EXPECT_EQ(MembersWithScores(keys_.Key("idx")).size(), 12u);
  EXPECT_EQ(MembersWithScores(keys_.Key("idx")).back(), "5");
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("requests", "19093"), "a:5"})->str, "answer-5");

  // New requests; one of them guards a record at a version it is not at.
  ASSERT_TRUE(redis_.Command({"HSET", keys_.Key("rec", "other"), "v", "5", "p", "x"}).ok());
  std::vector<GridTransaction> next;
  for (int i = 0; i < 3; ++i) {
    const std::string rec = keys_.Key("rec", "n" + std::to_string(i));
    next.emplace_back(keys_, "b:" + std::to_string(i), "answer", kNow);
    next.back()
        .ExpectVersion(rec, 0)
        .PutRecord(rec, 1, "p" + std::to_string(i))
        .HashIncrement(keys_.Key("counts"), "n", 1);
  }
  next[1].ExpectVersion(keys_.Key("rec", "other"), 4);
  out = GridTransaction::CommitAll(redis_, std::move(next));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), (std::vector<Kind>{Kind::kCommitted, Kind::kConflict, Kind::kCommitted}));
  EXPECT_EQ((*out)[1]->conflict_key, keys_.Key("rec", "other"));
  EXPECT_EQ(RunsOf("columnar_retried"), retried + 2);
  EXPECT_EQ(Counter("n"), "8");
  EXPECT_EQ(redis_.Command({"EXISTS", keys_.Key("rec", "n1")})->integer, 0);
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "n2"), "p"})->str, "p2");
}

// A commit prepared on one thread and sent from another (BulkImport's
// planner and committer): its commands are built when it is prepared, the
// transactions' bytes moved into them, but what Redis holds when it is
// sent decides, as for CommitAll; a run answered SLOW is built again from
// the transactions wherever their vector has moved since.
TEST_F(GridTransactionTest, APreparedCommitIsDecidedWhenItIsSentAndSentOnce) {
  GridKeys other("svc", "g2");
  std::vector<GridTransaction> txns;
  for (const GridKeys* k : {&keys_, &other}) {
    for (int i = 0; i < 3; ++i) {
      const std::string id = std::to_string(i);
      const std::string rec = k->Key("rec", id);
      txns.emplace_back(*k, "a:" + id, "answer-" + id, kNow);
      txns.back()
          .ExpectVersion(rec, 0)
          .PutRecord(rec, 1, "p" + id)
          .HashIncrement(k->Key("counts"), "n", 1)
          .Publish({"t", id, "e" + id, {}});
    }
  }
  auto prepared = GridTransaction::Prepare(txns);
  std::vector<GridTransaction> moved = std::move(txns);  // as a plan moves through a queue
  // Another writer creates one of the records in between.
  ASSERT_TRUE(redis_.Command({"HSET", other.Key("rec", "1"), "v", "1", "p", "theirs"}).ok());
  const double retried = RunsOf("columnar_retried");
  auto out = prepared.Send(redis_);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), (std::vector<Kind>{Kind::kCommitted, Kind::kCommitted, Kind::kCommitted,
                                            Kind::kCommitted, Kind::kConflict, Kind::kCommitted}));
  EXPECT_EQ(RunsOf("columnar_retried"), retried + 1);
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "2"), "p"})->str, "p2");
  EXPECT_EQ(redis_.Command({"HGET", other.Key("rec", "1"), "p"})->str, "theirs");
  EXPECT_EQ(redis_.Command({"HGET", other.Key("rec", "2"), "p"})->str, "p2");
  using Entries = std::vector<std::vector<std::string>>;
  EXPECT_EQ(OutboxValues(keys_), (Entries{{"e0", "e1", "e2"}}));
  EXPECT_EQ(OutboxValues(other), (Entries{{"e0", "e2"}}));
  EXPECT_EQ(prepared.Send(redis_).status().code(), absl::StatusCode::kFailedPrecondition);
}

// Commands sent ahead of a prepared commit (screening remembers a person's
// grid outside the grid's keys) run first, in the same round trip: here a
// leading write makes a guard fail. Trailing ones (a read that must follow
// the commit) run after every run, also after a run answered SLOW and sent
// again the general way. An error reply to a leading command fails the
// call, though the runs behind it have run.
TEST_F(GridTransactionTest, LeadingAndTrailingCommandsShareTheCommitsRoundTrip) {
  auto txn = [&](const std::string& id) {
    const std::string rec = keys_.Key("rec", id);
    GridTransaction t(keys_, "a:" + id, "answer-" + id, kNow);
    t.ExpectVersion(rec, 0).PutRecord(rec, 1, "p" + id).Publish({"t", id, "e" + id, {}});
    return t;
  };
  ASSERT_EQ(Run(txn("1"))->kind, Kind::kCommitted);
  std::vector<GridTransaction> txns;
  txns.push_back(txn("1"));  // a retry: the columnar run answers SLOW
  txns.push_back(txn("2"));
  txns.push_back(txn("4"));
  const double retried = RunsOf("columnar_retried");
  std::vector<RedisReply> trailing;
  auto out = GridTransaction::Prepare(txns).Send(
      redis_, {{"SET", "outside", "1"}, {"HSET", keys_.Key("rec", "2"), "v", "1", "p", "lead"}},
      {{"HGET", keys_.Key("rec", "4"), "p"}, {"INCR", "outside"}}, &trailing);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), (std::vector<Kind>{Kind::kDuplicate, Kind::kConflict, Kind::kCommitted}));
  ASSERT_EQ(trailing.size(), 2u);
  EXPECT_EQ(trailing[0].str, "p4") << "read after the run sent again";
  EXPECT_EQ(trailing[1].integer, 3) << "run once per sending of the runs";
  EXPECT_EQ(RunsOf("columnar_retried"), retried + 1);
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "2"), "p"})->str, "lead");

  txns.clear();
  txns.push_back(txn("3"));
  out =
      GridTransaction::Prepare(txns).Send(redis_, {{"HINCRBY", "outside", "f", "1"}});  // a string
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("HINCRBY"), std::string::npos) << out.status();
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "3"), "p"})->str, "p3");
  EXPECT_EQ(OutboxValues(keys_), (std::vector<std::vector<std::string>>{{"e1"}, {"e4"}, {"e3"}}));
}

// A lone transaction takes the columnar form as well; its retry goes
// again the general way and gets the first answer.
TEST_F(GridTransactionTest, ALoneTransactionTakesTheColumnarFormAndItsRetryTheGeneralWay) {
  auto txn = [&] {
    GridTransaction t(keys_, "a:1", "answer-1", kNow);
    t.ExpectVersion(keys_.Key("rec", "x"), 0)
        .PutRecord(keys_.Key("rec", "x"), 1, "x1")
        .ZAdd(keys_.Key("w"), 7, "x")
        .ZRemoveBelow(keys_.Key("w"), 5)
        .HashIncrement(keys_.Key("counts"), "n", 1)
        .Publish({"t", "x", "x1", {}});
    return t;
  };
  const double columnar = RunsOf("columnar"), retried = RunsOf("columnar_retried");
  auto first = Run(txn());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->kind, Kind::kCommitted);
  EXPECT_EQ(RunsOf("columnar"), columnar + 1);
  auto again = Run(txn());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->kind, Kind::kDuplicate);
  EXPECT_EQ(again->prior_response, "answer-1");
  EXPECT_EQ(RunsOf("columnar_retried"), retried + 1);
  EXPECT_EQ(Counter("n"), "1");
  EXPECT_EQ(MembersWithScores(keys_.Key("w")), (std::vector<std::string>{"x", "7"}));
  EXPECT_EQ(OutboxValues(keys_), (std::vector<std::vector<std::string>>{{"x1"}}));
}

// Lua unpacks at most ~8,000 values: a sorted set given more members than
// one command may carry in a run goes the general way, one ZADD each.
TEST_F(GridTransactionTest, ARunWithManyMembersForOneSortedSetGoesTheGeneralWay) {
  GridTransaction txn(keys_, "a:1", "answer", kNow);
  for (int i = 0; i < 5000; ++i) txn.ZAdd(keys_.Key("big"), i, "m" + std::to_string(i));
  const double general = RunsOf("general");
  auto out = Run(txn);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->kind, Kind::kCommitted);
  EXPECT_EQ(redis_.Command({"ZCARD", keys_.Key("big")})->integer, 5000);
  EXPECT_EQ(RunsOf("general"), general + 1);

  // The same over a run of independent transactions (the general way's
  // batched path groups adds too).
  std::vector<GridTransaction> txns;
  for (int t = 0; t < 2; ++t) {
    GridTransaction& next = txns.emplace_back(keys_, "b:" + std::to_string(t), "answer", kNow);
    for (int i = 0; i < 4000; ++i) next.ZAdd(keys_.Key("bigger"), i, std::to_string(t * 4000 + i));
  }
  auto both = GridTransaction::CommitAll(redis_, txns);
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(Kinds(*both), std::vector<Kind>(2, Kind::kCommitted));
  EXPECT_EQ(redis_.Command({"ZCARD", keys_.Key("bigger")})->integer, 8000);
}

// Trims grouped after a run's adds leave what the transactions leave one
// after the other only if every one that adds to a trimmed key trims it
// after, to the same bound; other runs go the general way.
TEST_F(GridTransactionTest, ARunThatAddsAfterATrimGoesTheGeneralWay) {
  const std::string w = keys_.Key("w");
  auto run = [&](long long second_bound, bool second_trims) {
    std::vector<GridTransaction> txns;
    txns.emplace_back(keys_, "", "", kNow);
    txns.back().ZAdd(w, 1, "a").ZRemoveBelow(w, 3);
    txns.emplace_back(keys_, "", "", kNow);
    txns.back().ZAdd(w, 2, "b");
    if (second_trims) txns.back().ZRemoveBelow(w, second_bound);
    return txns;
  };
  const double columnar = RunsOf("columnar"), general = RunsOf("general");
  ASSERT_EQ(Kinds(*GridTransaction::CommitAll(redis_, run(0, false))),
            std::vector<Kind>(2, Kind::kCommitted));
  EXPECT_EQ(MembersWithScores(w), (std::vector<std::string>{"b", "2"}));  // added after the trim
  ASSERT_EQ(Kinds(*GridTransaction::CommitAll(redis_, run(2, true))),
            std::vector<Kind>(2, Kind::kCommitted));
  EXPECT_EQ(MembersWithScores(w), (std::vector<std::string>{"b", "2"}));  // the bounds differ
  EXPECT_EQ(RunsOf("general"), general + 2);
  ASSERT_EQ(Kinds(*GridTransaction::CommitAll(redis_, run(3, true))),
            std::vector<Kind>(2, Kind::kCommitted));
  EXPECT_TRUE(MembersWithScores(w).empty());
  EXPECT_EQ(RunsOf("columnar"), columnar + 1);
}

// A grid with more transactions than one run takes: its runs go the general
// way, in order. (Were a first run columnar and sent again after a second
// run of the grid had committed, the second would overtake it: here the
// later write of a record would fail its guard.)
TEST_F(GridTransactionTest, AGridWithSeveralRunsKeepsTheirOrder) {
  ASSERT_TRUE(Run(GridTransaction(keys_, "a:0", "answer", kNow)).ok());  // remembered: a retry
  std::vector<GridTransaction> txns;
  for (int i = 0; i < 70; ++i) {
    txns.emplace_back(keys_, "a:" + std::to_string(i), "answer", kNow);
    txns.back().HashIncrement(keys_.Key("counts"), "n", 1);
  }
  const std::string x = keys_.Key("rec", "x");
  txns[5].ExpectVersion(x, 0).PutRecord(x, 1, "first");
  txns[66].ExpectVersion(x, 1).PutRecord(x, 2, "second");
  const double columnar = RunsOf("columnar");
  auto out = GridTransaction::CommitAll(redis_, txns);
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<Kind> expected(70, Kind::kCommitted);
  expected[0] = Kind::kDuplicate;
  EXPECT_EQ(Kinds(*out), expected);
  EXPECT_EQ(redis_.Command({"HGET", x, "p"})->str, "second");
  EXPECT_EQ(Counter("n"), "69");
  EXPECT_EQ(RunsOf("columnar"), columnar);
}

TEST_F(GridTransactionTest, LargeBatchesAreSplitIntoBoundedOutboxEntries) {
  std::vector<GridTransaction> txns;
  for (int i = 0; i < 150; ++i) {
    txns.emplace_back(keys_, "a:" + std::to_string(i), "r", kNow);
    txns.back()
        .HashIncrement(keys_.Key("counts"), "n", 1)
        .Publish({"t", "k", std::to_string(i), {}});
  }
  auto out = GridTransaction::CommitAll(redis_, txns);
  ASSERT_TRUE(out.ok()) << out.status();
  for (const auto& o : *out) ASSERT_EQ(o->kind, Kind::kCommitted);
  EXPECT_EQ(Counter("n"), "150");
  auto entries = OutboxEntries(keys_);
  std::vector<size_t> sizes;
  int expected = 0;
  for (const auto& e : entries) {
    sizes.push_back(e.size());
    for (const auto& r : e) EXPECT_EQ(r.value, std::to_string(expected++)) << "in commit order";
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{64, 64, 22}));
}

// CommitWatched (no request log, WATCH + MULTI/EXEC): the same batch as
// above without request fields ends as the script would leave it.
TEST_F(GridTransactionTest, WatchedCommitsApplyInOrderLikeTheScript) {
  GridKeys other("svc", "g2");
  const std::string w = keys_.Key("w");
  std::vector<GridTransaction> txns;
  auto add = [&](const GridKeys& k, const std::string& rec, long long expect,
                 const std::string& event) -> GridTransaction& {
    txns.emplace_back(k, "", "", kNow);
    return txns.back()
        .ExpectVersion(k.Key("rec", rec), expect)
        .PutRecord(k.Key("rec", rec), expect + 1, event)
        .HashIncrement(k.Key("counts"), "n", 1)
        .HashIncrement(k.Key("counts"), "m", 2)
        .Publish({"t", rec, event, {}});
  };
  add(keys_, "x", 0, "x1").ZAdd(w, 1, "m").ZAdd(w, 3, "o");
  add(other, "z", 0, "z1");
  add(keys_, "x", 0, "x-again").ZAdd(w, 9, "never");  // sees x1: conflict
  add(keys_, "y", 0, "y1").ZRemove(w, "m").ZRemoveBelow(w, 4).ZAdd(w, 5, "n");
  add(keys_, "x", 1, "x2").Expire(keys_.Key("rec", "x"), absl::Hours(2));  // builds on x1
  auto out = GridTransaction::CommitWatched(redis_, txns);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), (std::vector<Kind>{Kind::kCommitted, Kind::kCommitted, Kind::kConflict,
                                            Kind::kCommitted, Kind::kCommitted}));
  EXPECT_EQ((*out)[2]->conflict_key, keys_.Key("rec", "x"));
  EXPECT_EQ(Counter("n"), "3");
  EXPECT_EQ(Counter("m"), "6");
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "x"), "p"})->str, "x2");
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("rec", "x"), "v"})->str, "2");
  EXPECT_NEAR(redis_.Command({"TTL", keys_.Key("rec", "x")})->integer, 7200, 5);
  EXPECT_EQ(MembersWithScores(w), (std::vector<std::string>{"n", "5"}));
  using Entries = std::vector<std::vector<std::string>>;
  EXPECT_EQ(OutboxValues(keys_), (Entries{{"x1", "y1", "x2"}}));
  EXPECT_EQ(OutboxValues(other), (Entries{{"z1"}}));
  // Nothing is remembered: these transactions have no request.
  EXPECT_EQ(redis_.Command({"EXISTS", keys_.Key("requests", "19093")})->integer, 0);
}

// Another writer changing a guarded key between the guard read and EXEC
// aborts the round: it runs again on what is there now.
TEST_F(GridTransactionTest, AWatchedCommitRunsAgainWhenAGuardedKeyChanges) {
  const std::string rec = keys_.Key("rec", "x");
  ASSERT_TRUE(redis_.Command({"HSET", rec, "v", "1", "p", "one"}).ok());
  // One transaction moving the record from `version` to the next.
  auto moving_from = [&](long long version, const std::string& payload) {
    std::vector<GridTransaction> txns;
    txns.emplace_back(keys_, "", "", kNow);
    txns.back()
        .ExpectVersion(rec, version)
        .PutRecord(rec, version + 1, payload)
        .HashIncrement(keys_.Key("counts"), "n", 1)
        .Publish({"t", "x", payload, {}});
    return txns;
  };
  std::vector<GridTransaction> txns = moving_from(1, "two");
  RedisClient other{*RedisOptionsFromAddr(server_.addr())};
  int rounds = 0;
  auto out = GridTransaction::CommitWatched(redis_, txns, [&] {
    // The first time, someone else rewrites the record at the same version.
    if (rounds++ == 0) {
      ASSERT_TRUE(other.Command({"HSET", rec, "p", "one-again"}).ok());
    }
  });
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(rounds, 2);
  ASSERT_TRUE((*out)[0].ok());
  EXPECT_EQ((*out)[0]->kind, Kind::kCommitted);
  EXPECT_EQ(redis_.Command({"HGET", rec, "p"})->str, "two");
  EXPECT_EQ(Counter("n"), "1");
  EXPECT_EQ(OutboxEntries(keys_).size(), 1u);

  // Changed before every round: after three it answers CONFLICT, and none
  // of its writes, counters or events happened.
  txns = moving_from(2, "three");
  rounds = 0;
  out = GridTransaction::CommitWatched(redis_, txns, [&] {
    ++rounds;
    ASSERT_TRUE(other.Command({"HSET", rec, "p", "busy"}).ok());
  });
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(rounds, 3);
  EXPECT_EQ((*out)[0]->kind, Kind::kConflict);
  EXPECT_EQ(redis_.Command({"HGET", rec, "v"})->str, "2");
  EXPECT_EQ(Counter("n"), "1");
  EXPECT_EQ(OutboxEntries(keys_).size(), 1u);
  // The session's connection went back to the pool in a usable state.
  EXPECT_TRUE(redis_.Command({"SET", keys_.Key("after"), "1"}).ok());
  EXPECT_EQ(redis_.Command({"GET", keys_.Key("after")})->str, "1");
}

TEST_F(GridTransactionTest, WatchedCommitsSplitBigOutboxEntries) {
  std::vector<GridTransaction> txns;
  txns.emplace_back(keys_, "alice:1", "answer", kNow);
  txns.back().HashIncrement(keys_.Key("counts"), "n", 100);
  int event = 0;
  for (int i = 0; i < 40; ++i) {
    txns.emplace_back(keys_, "", "", kNow);
    txns.back().HashIncrement(keys_.Key("counts"), "n", 1);
    for (int e = 0; e < 3; ++e) txns.back().Publish({"t", "k", std::to_string(event++), {}});
  }
  auto out = GridTransaction::CommitWatched(redis_, txns);
  ASSERT_TRUE(out.ok()) << out.status();
  for (const auto& o : *out) ASSERT_EQ(o->kind, Kind::kCommitted);
  EXPECT_EQ(Counter("n"), "140");
  std::vector<size_t> sizes;
  int expected = 0;
  for (const auto& e : OutboxEntries(keys_)) {
    sizes.push_back(e.size());
    for (const auto& r : e) EXPECT_EQ(r.value, std::to_string(expected++)) << "in commit order";
  }
  // Rounds of 32 transactions (31 with 3 events each: entries of 64 and
  // 29), then 9 (27).
  EXPECT_EQ(sizes, (std::vector<size_t>{64, 29, 27}));
  EXPECT_EQ(redis_.Command({"HGET", keys_.Key("requests", "19093"), "alice:1"})->str, "answer");
}

// Entries of many events are stored LZ4-packed (outbox_pack.h) by the
// columnar and the watched form alike, and decode to the events in commit
// order.
TEST_F(GridTransactionTest, LargeOutboxEntriesAreStoredPackedAndDecodeInCommitOrder) {
  const std::string note(120, 'n');  // events repeat each other, as real ones do
  GridKeys other("svc", "g2");
  std::vector<GridTransaction> columnar, watched;
  std::vector<std::string> expected;
  for (int i = 0; i < 16; ++i) {
    expected.push_back(std::to_string(i) + note);
    const std::string rec = keys_.Key("rec", std::to_string(i));
    columnar.emplace_back(keys_, "c:" + std::to_string(i), "r", kNow);
    columnar.back()
        .ExpectVersion(rec, 0)
        .PutRecord(rec, 1, "v")
        .Publish({"t", "k", expected.back(), {}});
    watched.emplace_back(other, "", "", kNow);
    watched.back()
        .HashIncrement(other.Key("counts"), "n", 1)
        .Publish({"t", "k", expected.back(), {}});
  }
  const double columnar_runs = RunsOf("columnar");
  auto out = GridTransaction::CommitAll(redis_, columnar);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), std::vector<Kind>(16, Kind::kCommitted));
  EXPECT_EQ(RunsOf("columnar"), columnar_runs + 1);
  out = GridTransaction::CommitWatched(redis_, watched);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Kinds(*out), std::vector<Kind>(16, Kind::kCommitted));
  for (const GridKeys* k : {&keys_, &other}) {
    auto raw = redis_.Command({"XRANGE", k->Outbox(), "-", "+"});
    ASSERT_TRUE(raw.ok()) << raw.status();
    ASSERT_EQ(raw->elements.size(), 1u) << k->Outbox();
    const std::string& stored = raw->elements[0].elements[1].elements[1].str;
    EXPECT_TRUE(IsPackedOutboxEntry(stored)) << k->Outbox();
    EXPECT_LT(stored.size() * 3, 16 * note.size()) << k->Outbox();
    EXPECT_EQ(OutboxValues(*k), std::vector<std::vector<std::string>>{expected}) << k->Outbox();
  }
}

}  // namespace
}  // namespace gridbridge::platform
