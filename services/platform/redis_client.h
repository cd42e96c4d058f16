#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct redisContext;

namespace gridbridge::platform {

// A Redis reply as plain values. A missing key is a value (kNil); an error
// reply (WRONGTYPE, a Lua error) is a value of type kError that the caller
// interprets; only transport failures are a non-OK status.
struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string str;                   // kString, kStatus, kError
  long long integer = 0;             // kInteger
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
};

using RedisArgs = std::vector<std::string>;

// A Lua script, loaded by SHA1 (EVALSHA, falling back to EVAL on NOSCRIPT).
struct RedisScript {
  explicit RedisScript(std::string source);
  std::string source;
  std::string sha1;
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int pool_size = 4;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{2000};
  // Reconnect backoff doubles from min to max while Redis stays away.
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{2000};
};

// Parses "host:port" into options (keeping the other defaults).
absl::StatusOr<RedisOptions> RedisOptionsFromAddr(const std::string& addr);

// A small pool of synchronous hiredis connections that combines callers:
// a caller that finds a connection free sends its own commands AND those of
// every caller waiting at that moment as one pipeline (one write, one read
// burst), then hands each waiter its replies. Under load, many concurrent
// RPCs cost Redis and this process one round trip instead of one each,
// which is where a busy service's Redis time goes (syscalls, not commands).
// Each caller's commands stay contiguous and in order; callers never see
// each other's replies. Thread-safe.
//
// A connection that fails is dropped and re-made on a later call, no sooner
// than its backoff allows. A write whose reply was lost is NOT retried:
// every caller in that round trip gets UNAVAILABLE and must retry
// idempotently.
//
// Errors: UNAVAILABLE for connect, I/O or timeout failures (retryable).
class RedisClient {
  struct Slot;
  struct Request;

 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  absl::StatusOr<RedisReply> Command(const RedisArgs& args);
  // Sends all commands, then reads all replies: one round trip.
  absl::StatusOr<std::vector<RedisReply>> Pipeline(const std::vector<RedisArgs>& commands);
  // Runs `script` with KEYS and ARGV.
  absl::StatusOr<RedisReply> Eval(const RedisScript& script, const RedisArgs& keys,
                                  const RedisArgs& args);
  // Runs a script once per (keys, args) pair in one round trip; replies in
  // order. The script is loaded before its first use (and again after a
  // new connection); calls that still meet an unloaded script (NOSCRIPT,
  // e.g. after SCRIPT FLUSH: they did not run) run again once it is loaded,
  // after the others: each call runs once.
  absl::StatusOr<std::vector<RedisReply>> EvalBatch(
      const RedisScript& script, const std::vector<std::pair<RedisArgs, RedisArgs>>& calls);
  // EvalBatch with the commands built by the caller, each {"EVALSHA",
  // script.sha1, <number of keys>, keys..., args...}: a caller with big
  // arguments moves them in instead of having them copied once more.
  absl::StatusOr<std::vector<RedisReply>> EvalCommands(const RedisScript& script,
                                                       const std::vector<RedisArgs>& commands);

  // A connection held by one caller for several round trips, with no other
  // caller's commands in between: what WATCH ... MULTI ... EXEC needs.
  // Valid only inside WithSession's callback.
  class Session {
   public:
    // One round trip on the session's connection. UNAVAILABLE if the
    // connection was lost during the session (a new one would have
    // forgotten what the session WATCHed, so none is made).
    absl::StatusOr<std::vector<RedisReply>> Pipeline(const std::vector<RedisArgs>& commands);

   private:
    friend class RedisClient;
    Session(RedisClient& client, Slot& slot) : client_(client), slot_(slot) {}
    RedisClient& client_;
    Slot& slot_;
    bool used_ = false;
  };
  // Runs `fn` on a connection of the pool taken for it alone (waiting while
  // all are busy). A session that fails leaves its connection to be made
  // again (it may still be WATCHing). Returns what `fn` returns. `fn` may
  // use the client's other connections meanwhile (with a pool of one it
  // would wait for itself).
  absl::Status WithSession(const std::function<absl::Status(Session&)>& fn);

  // PING; OK when Redis answers.
  absl::Status Ping();
  const RedisOptions& options() const { return options_; }

 private:
  // Sends `batch` (several callers' commands) on `slot`; fills each request.
  void RunBatch(Slot& slot, const std::vector<Request*>& batch);
  absl::Status EnsureConnected(Slot& slot);
  // SCRIPT LOAD, remembered until the next new connection.
  absl::Status LoadScript(const RedisScript& script);

  RedisOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_;
  std::deque<Request*> waiting_;             // not yet taken by a sender, oldest first
  std::condition_variable session_waiting_;  // a session waits for a free slot
  // The sha1s of scripts loaded since the last new connection (a new one
  // may mean a restarted Redis, whose script cache is empty).
  std::mutex scripts_mu_;
  std::set<std::string> loaded_scripts_;
};

}  // namespace gridbridge::platform
